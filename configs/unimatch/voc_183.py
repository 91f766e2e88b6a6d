# UniMatch (ViT-B/16, CLIP init.) on Pascal VOC, 183 labeled images.
# Paper Table 1 (ImageNet init.): 80.1 mIoU.
# 80 epochs x ceil((10,582 - 183) unlabeled / 8 per step) = 80 x 1,300
# = 104,000 iterations (SourceEpochTrainLoop computes them from the split)
_base_ = ['../_base_/unimatch/voc.py', '../_base_/datasets/splits/voc_183.py']
