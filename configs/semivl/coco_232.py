# SemiVL on COCO, 232 labeled images.
# Paper Table 3: 50.1 mIoU.
# 10 epochs x ceil((118,287 - 232) unlabeled / 8 per step) = 10 x 14,757
# = 147,570 iterations (SourceEpochTrainLoop computes them from the split)
_base_ = ['../_base_/semivl/coco.py', '../_base_/datasets/splits/coco_232.py']
