# UniMatch (ViT-B/16, CLIP init.) on Pascal VOC, 732 labeled images.
# Paper Table 1 (ImageNet init.): 83.3 mIoU.
# 80 epochs x ceil((10,582 - 732) unlabeled / 8 per step) = 80 x 1,232
# = 98,560 iterations (SourceEpochTrainLoop computes them from the split)
_base_ = ['../_base_/unimatch/voc.py', '../_base_/datasets/splits/voc_732.py']
