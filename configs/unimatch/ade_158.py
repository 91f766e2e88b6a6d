# UniMatch (ViT-B/16, CLIP init.) on ADE20K, 158 labeled images.
# Paper Table 4 (ImageNet init.): 18.4 mIoU.
# 40 epochs x ceil((20,210 - 158) unlabeled / 8 per step) = 40 x 2,507
# = 100,280 iterations (SourceEpochTrainLoop computes them from the split)
_base_ = ['../_base_/unimatch/ade20k.py', '../_base_/datasets/splits/ade_158.py']
