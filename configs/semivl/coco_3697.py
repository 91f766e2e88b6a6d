# SemiVL on COCO, 3697 labeled images.
# Paper Table 3: value missing from our copy of the paper text.
_base_ = ['../_base_/semivl/coco.py']
split = '1_32'  # mmseg_semivl/splits/coco/1_32: 3697 labeled images
# 10 epochs x ceil((118,287 - 3,697) unlabeled / 8 per step) = 10 x 14,324
# = 143,240 iterations (SourceEpochTrainLoop computes them from the split)
train_dataloader = dict(dataset=dict(datasets=[
    dict(_base_.labeled_dataset, ann_file=f'coco/{split}/labeled.txt'),
    dict(_base_.unlabeled_dataset, ann_file=f'splits/coco/{split}/unlabeled.txt'),
]))
