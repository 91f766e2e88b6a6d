# Pascal VOC, 366 labeled images (list mmseg_semivl/splits/pascal/366).
# The two training lists of this split on the family's data pipeline.
_base_ = ['../voc_semi.py']
split = '366'
train_dataloader = dict(dataset=dict(datasets=[
    dict(_base_.labeled_dataset, ann_file=f'pascal/{split}/labeled.txt'),
    dict(_base_.unlabeled_dataset, ann_file=f'splits/pascal/{split}/unlabeled.txt'),
]))
