# UniMatch (ViT-B/16, CLIP init.) on Cityscapes, 372 labeled images.
# Paper Table 5 (ImageNet init.): 78.2 mIoU.
_base_ = ['../_base_/unimatch/cityscapes.py']
split = '1_8'  # mmseg_semivl/splits/cityscapes/1_8: 372 labeled images
# 240 epochs x ceil((2,975 - 372) unlabeled / 8 per step) = 240 x 326
# (the reference trains every split 83,760 iterations; see docs/deviations.md)
# = 78,240 iterations (SourceEpochTrainLoop computes them from the split)
train_dataloader = dict(dataset=dict(datasets=[
    dict(_base_.labeled_dataset, ann_file=f'cityscapes/{split}/labeled.txt'),
    dict(_base_.unlabeled_dataset, ann_file=f'splits/cityscapes/{split}/unlabeled.txt'),
]))
