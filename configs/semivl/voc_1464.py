# SemiVL on Pascal VOC, 1464 labeled images.
# Paper Table 6: 87.3 mIoU.
_base_ = ['../_base_/semivl/voc.py']
split = '1464'  # mmseg_semivl/splits/pascal/1464: VOC's 1,464 finely annotated images
# 80 epochs x ceil((10,582 - 1,464) unlabeled / 8 per step) = 80 x 1,140
# = 91,200 iterations (SourceEpochTrainLoop computes them from the split)
train_dataloader = dict(dataset=dict(datasets=[
    dict(_base_.labeled_dataset, ann_file=f'pascal/{split}/labeled.txt'),
    dict(_base_.unlabeled_dataset, ann_file=f'splits/pascal/{split}/unlabeled.txt'),
]))
