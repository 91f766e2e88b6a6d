# UniMatch (ViT-B/16, CLIP init.) on COCO, 3697 labeled images.
# Paper Table 3: value missing from our copy of the paper text.
# 10 epochs x ceil((118,287 - 3,697) unlabeled / 8 per step) = 10 x 14,324
# = 143,240 iterations (SourceEpochTrainLoop computes them from the split)
_base_ = ['../_base_/unimatch/coco.py', '../_base_/datasets/splits/coco_3697.py']
