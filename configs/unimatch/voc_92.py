# UniMatch (ViT-B/16, CLIP init.) on Pascal VOC, 92 labeled images.
# Paper Table 1 (ImageNet init.): 77.9 mIoU.
# 80 epochs x ceil((10,582 - 92) unlabeled / 8 per step) = 80 x 1,312
# = 104,960 iterations (SourceEpochTrainLoop computes them from the split)
_base_ = ['../_base_/unimatch/voc.py', '../_base_/datasets/splits/voc_92.py']
