# UniMatch (ViT-B/16, CLIP init.) on ADE20K, 632 labeled images.
# Paper Table 4 (ImageNet init.): 31.2 mIoU.
# 40 epochs x ceil((20,210 - 632) unlabeled / 8 per step) = 40 x 2,448
# = 97,920 iterations (SourceEpochTrainLoop computes them from the split)
_base_ = ['../_base_/unimatch/ade20k.py', '../_base_/datasets/splits/ade_632.py']
