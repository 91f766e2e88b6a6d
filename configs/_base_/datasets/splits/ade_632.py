# ADE20K, 632 labeled images (list mmseg_semivl/splits/ade/1_32).
# The two training lists of this split on the family's data pipeline.
_base_ = ['../ade20k_semi.py']
split = '1_32'
train_dataloader = dict(dataset=dict(datasets=[
    dict(_base_.labeled_dataset, ann_file=f'ade/{split}/labeled.txt'),
    dict(_base_.unlabeled_dataset, ann_file=f'splits/ade/{split}/unlabeled.txt'),
]))
