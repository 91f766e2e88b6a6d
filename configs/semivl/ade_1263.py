# SemiVL on ADE20K, 1263 labeled images.
# Paper Table 4: 37.2 mIoU.
_base_ = ['../_base_/semivl/ade20k.py']
split = '1_16'  # mmseg_semivl/splits/ade/1_16: 1263 labeled images
# 40 epochs x ceil((20,210 - 1,263) unlabeled / 8 per step) = 40 x 2,369
# = 94,760 iterations (SourceEpochTrainLoop computes them from the split)
train_dataloader = dict(dataset=dict(datasets=[
    dict(_base_.labeled_dataset, ann_file=f'ade/{split}/labeled.txt'),
    dict(_base_.unlabeled_dataset, ann_file=f'splits/ade/{split}/unlabeled.txt'),
]))
