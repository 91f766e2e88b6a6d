# SemiVL on COCO, 1849 labeled images.
# Paper Table 3: 55.4 mIoU.
# 10 epochs x ceil((118,287 - 1,849) unlabeled / 8 per step) = 10 x 14,555
# = 145,550 iterations (SourceEpochTrainLoop computes them from the split)
_base_ = ['../_base_/semivl/coco.py', '../_base_/datasets/splits/coco_1849.py']
