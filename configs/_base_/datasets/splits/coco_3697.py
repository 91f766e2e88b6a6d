# COCO, 3697 labeled images (list mmseg_semivl/splits/coco/1_32).
# The two training lists of this split on the family's data pipeline.
_base_ = ['../coco_semi.py']
split = '1_32'
train_dataloader = dict(dataset=dict(datasets=[
    dict(_base_.labeled_dataset, ann_file=f'coco/{split}/labeled.txt'),
    dict(_base_.unlabeled_dataset, ann_file=f'splits/coco/{split}/unlabeled.txt'),
]))
