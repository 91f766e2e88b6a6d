# Cityscapes, 1488 labeled images (list mmseg_semivl/splits/cityscapes/1_2).
# The two training lists of this split on the family's data pipeline.
_base_ = ['../cityscapes_semi.py']
split = '1_2'
train_dataloader = dict(dataset=dict(datasets=[
    dict(_base_.labeled_dataset, ann_file=f'cityscapes/{split}/labeled.txt'),
    dict(_base_.unlabeled_dataset, ann_file=f'splits/cityscapes/{split}/unlabeled.txt'),
]))
