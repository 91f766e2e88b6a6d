# UniMatch (ViT-B/16, CLIP init.) on COCO, 925 labeled images.
# Paper Table 3 (ImageNet init.): 49.1 mIoU.
# 10 epochs x ceil((118,287 - 925) unlabeled / 8 per step) = 10 x 14,671
# = 146,710 iterations (SourceEpochTrainLoop computes them from the split)
_base_ = ['../_base_/unimatch/coco.py', '../_base_/datasets/splits/coco_925.py']
