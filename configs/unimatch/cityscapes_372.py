# UniMatch (ViT-B/16, CLIP init.) on Cityscapes, 372 labeled images.
# Paper Table 5 (ImageNet init.): 78.2 mIoU.
# 240 epochs x ceil((2,975 - 372) unlabeled / 8 per step) = 240 x 326
# (the reference trains every split 83,760 iterations; see docs/deviations.md)
# = 78,240 iterations (SourceEpochTrainLoop computes them from the split)
_base_ = ['../_base_/unimatch/cityscapes.py', '../_base_/datasets/splits/cityscapes_372.py']
