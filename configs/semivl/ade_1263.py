# SemiVL on ADE20K, 1263 labeled images.
# Paper Table 4: 37.2 mIoU.
# 40 epochs x ceil((20,210 - 1,263) unlabeled / 8 per step) = 40 x 2,369
# = 94,760 iterations (SourceEpochTrainLoop computes them from the split)
_base_ = ['../_base_/semivl/ade20k.py', '../_base_/datasets/splits/ade_1263.py']
