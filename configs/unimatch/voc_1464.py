# UniMatch (ViT-B/16, CLIP init.) on Pascal VOC, 1464 labeled images.
# Paper Table 6 (ImageNet init.): 84.0 mIoU.
# 80 epochs x ceil((10,582 - 1,464) unlabeled / 8 per step) = 80 x 1,140
# = 91,200 iterations (SourceEpochTrainLoop computes them from the split)
_base_ = ['../_base_/unimatch/voc.py', '../_base_/datasets/splits/voc_1464.py']
