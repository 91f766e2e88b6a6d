# SemiVL on Pascal VOC, 183 labeled images.
# Paper Table 1: 85.6 mIoU.
# 80 epochs x ceil((10,582 - 183) unlabeled / 8 per step) = 80 x 1,300
# = 104,000 iterations (SourceEpochTrainLoop computes them from the split)
_base_ = ['../_base_/semivl/voc.py', '../_base_/datasets/splits/voc_183.py']
