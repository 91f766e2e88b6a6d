# SemiVL on Cityscapes, 744 labeled images.
# Paper Table 5: 80.3 mIoU.
# 240 epochs x ceil((2,975 - 744) unlabeled / 8 per step) = 240 x 279
# (the reference trains every split 83,760 iterations; see docs/deviations.md)
# = 66,960 iterations (SourceEpochTrainLoop computes them from the split)
_base_ = ['../_base_/semivl/cityscapes.py', '../_base_/datasets/splits/cityscapes_744.py']
