# SemiVL on COCO, 463 labeled images.
# Paper Table 3: 52.8 mIoU.
_base_ = ['../_base_/semivl/coco.py']
split = '1_256'  # mmseg_semivl/splits/coco/1_256: 463 labeled images
# 10 epochs x ceil((118,287 - 463) unlabeled / 8 per step) = 10 x 14,728
# = 147,280 iterations (SourceEpochTrainLoop computes them from the split)
train_dataloader = dict(dataset=dict(datasets=[
    dict(_base_.labeled_dataset, ann_file=f'coco/{split}/labeled.txt'),
    dict(_base_.unlabeled_dataset, ann_file=f'splits/coco/{split}/unlabeled.txt'),
]))
