# SemiVL on Pascal VOC, 183 labeled images.
# Paper Table 1: 85.6 mIoU.
_base_ = ['../_base_/semivl/voc.py']
split = '183'  # mmseg_semivl/splits/pascal/183: 183 labeled images
# 80 epochs x ceil((10,582 - 183) unlabeled / 8 per step) = 80 x 1,300
# = 104,000 iterations (SourceEpochTrainLoop computes them from the split)
train_dataloader = dict(dataset=dict(datasets=[
    dict(_base_.labeled_dataset, ann_file=f'pascal/{split}/labeled.txt'),
    dict(_base_.unlabeled_dataset, ann_file=f'splits/pascal/{split}/unlabeled.txt'),
]))
