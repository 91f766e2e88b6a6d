# SemiVL on Cityscapes, 186 labeled images.
# Paper Table 5: 77.9 mIoU.
# 240 epochs x ceil((2,975 - 186) unlabeled / 8 per step) = 240 x 349
# (the reference trains every split 83,760 iterations; see docs/deviations.md)
# = 83,760 iterations (SourceEpochTrainLoop computes them from the split)
_base_ = ['../_base_/semivl/cityscapes.py', '../_base_/datasets/splits/cityscapes_186.py']
