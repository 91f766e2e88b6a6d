# SemiVL on Pascal VOC, 732 labeled images.
# Paper Table 1: 86.7 mIoU.
_base_ = ['../_base_/semivl/voc.py']
split = '732'  # mmseg_semivl/splits/pascal/732: 732 labeled images
# 80 epochs x ceil((10,582 - 732) unlabeled / 8 per step) = 80 x 1,232
# = 98,560 iterations (SourceEpochTrainLoop computes them from the split)
train_dataloader = dict(dataset=dict(datasets=[
    dict(_base_.labeled_dataset, ann_file=f'pascal/{split}/labeled.txt'),
    dict(_base_.unlabeled_dataset, ann_file=f'splits/pascal/{split}/unlabeled.txt'),
]))
