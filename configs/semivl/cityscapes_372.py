# SemiVL on Cityscapes, 372 labeled images.
# Paper Table 5: 79.4 mIoU.
# 240 epochs x ceil((2,975 - 372) unlabeled / 8 per step) = 240 x 326
# (the reference trains every split 83,760 iterations; see docs/deviations.md)
# = 78,240 iterations (SourceEpochTrainLoop computes them from the split)
_base_ = ['../_base_/semivl/cityscapes.py', '../_base_/datasets/splits/cityscapes_372.py']
