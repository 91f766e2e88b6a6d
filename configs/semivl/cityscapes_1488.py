# SemiVL on Cityscapes, 1488 labeled images.
# Paper Table 5: value missing from our copy of the paper text.
# 240 epochs x ceil((2,975 - 1488) unlabeled / 8 per step) = 240 x 186
# (the reference trains every split 83,760 iterations; see docs/deviations.md)
# = 44,640 iterations (SourceEpochTrainLoop computes them from the split)
_base_ = ['../_base_/semivl/cityscapes.py', '../_base_/datasets/splits/cityscapes_1488.py']
