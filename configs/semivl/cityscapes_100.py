# SemiVL on Cityscapes, 100 labeled images.
# Paper Table 5: 76.2 mIoU.
# 240 epochs x ceil((2,975 - 100) unlabeled / 8 per step) = 240 x 360
# (the reference trains every split 83,760 iterations; see docs/deviations.md)
# = 86,400 iterations (SourceEpochTrainLoop computes them from the split)
_base_ = ['../_base_/semivl/cityscapes.py', '../_base_/datasets/splits/cityscapes_100.py']
