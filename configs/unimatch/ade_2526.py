# UniMatch (ViT-B/16, CLIP init.) on ADE20K, 2526 labeled images.
# Paper Table 4: value missing from our copy of the paper text.
# 40 epochs x ceil((20,210 - 2,526) unlabeled / 8 per step) = 40 x 2,211
# = 88,440 iterations (SourceEpochTrainLoop computes them from the split)
_base_ = ['../_base_/unimatch/ade20k.py', '../_base_/datasets/splits/ade_2526.py']
