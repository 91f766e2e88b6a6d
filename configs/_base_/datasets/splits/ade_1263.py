# ADE20K, 1263 labeled images (list mmseg_semivl/splits/ade/1_16).
# The two training lists of this split on the family's data pipeline.
_base_ = ['../ade20k_semi.py']
split = '1_16'
train_dataloader = dict(dataset=dict(datasets=[
    dict(_base_.labeled_dataset, ann_file=f'ade/{split}/labeled.txt'),
    dict(_base_.unlabeled_dataset, ann_file=f'splits/ade/{split}/unlabeled.txt'),
]))
