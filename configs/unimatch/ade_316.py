# UniMatch (ViT-B/16, CLIP init.) on ADE20K, 316 labeled images.
# Paper Table 4 (ImageNet init.): 25.3 mIoU.
# 40 epochs x ceil((20,210 - 316) unlabeled / 8 per step) = 40 x 2,487
# = 99,480 iterations (SourceEpochTrainLoop computes them from the split)
_base_ = ['../_base_/unimatch/ade20k.py', '../_base_/datasets/splits/ade_316.py']
