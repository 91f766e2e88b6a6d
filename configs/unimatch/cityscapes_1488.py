# UniMatch (ViT-B/16, CLIP init.) on Cityscapes, 1488 labeled images.
# Paper Table 5: value missing from our copy of the paper text.
_base_ = ['../_base_/unimatch/cityscapes.py']
split = '1_2'  # mmseg_semivl/splits/cityscapes/1_2: 1488 labeled images
# 240 epochs x ceil((2,975 - 1488) unlabeled / 8 per step) = 240 x 186
# (the reference trains every split 83,760 iterations; see docs/deviations.md)
# = 44,640 iterations (SourceEpochTrainLoop computes them from the split)
train_dataloader = dict(dataset=dict(datasets=[
    dict(_base_.labeled_dataset, ann_file=f'cityscapes/{split}/labeled.txt'),
    dict(_base_.unlabeled_dataset, ann_file=f'splits/cityscapes/{split}/unlabeled.txt'),
]))
