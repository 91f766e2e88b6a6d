# SemiVL on Pascal VOC, 366 labeled images.
# Paper Table 1: 86.0 mIoU.
# 80 epochs x ceil((10,582 - 366) unlabeled / 8 per step) = 80 x 1,277
# = 102,160 iterations (SourceEpochTrainLoop computes them from the split)
_base_ = ['../_base_/semivl/voc.py', '../_base_/datasets/splits/voc_366.py']
