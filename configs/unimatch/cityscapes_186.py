# UniMatch (ViT-B/16, CLIP init.) on Cityscapes, 186 labeled images.
# Paper Table 5 (ImageNet init.): 76.6 mIoU.
# 240 epochs x ceil((2,975 - 186) unlabeled / 8 per step) = 240 x 349
# (the reference trains every split 83,760 iterations; see docs/deviations.md)
# = 83,760 iterations (SourceEpochTrainLoop computes them from the split)
_base_ = ['../_base_/unimatch/cityscapes.py', '../_base_/datasets/splits/cityscapes_186.py']
