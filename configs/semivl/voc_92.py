# SemiVL on Pascal VOC, 92 labeled images.
# Paper Table 1: 84.0 mIoU.
_base_ = ['../_base_/semivl/voc.py']
split = '92'  # mmseg_semivl/splits/pascal/92: 92 labeled images
# 80 epochs x ceil((10,582 - 92) unlabeled / 8 per step) = 80 x 1,312
# = 104,960 iterations (SourceEpochTrainLoop computes them from the split)
train_dataloader = dict(dataset=dict(datasets=[
    dict(_base_.labeled_dataset, ann_file=f'pascal/{split}/labeled.txt'),
    dict(_base_.unlabeled_dataset, ann_file=f'splits/pascal/{split}/unlabeled.txt'),
]))
