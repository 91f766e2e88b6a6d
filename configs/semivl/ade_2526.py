# SemiVL on ADE20K, 2526 labeled images.
# Paper Table 4: value missing from our copy of the paper text.
_base_ = ['../_base_/semivl/ade20k.py']
split = '1_8'  # mmseg_semivl/splits/ade/1_8: 2526 labeled images
# 40 epochs x ceil((20,210 - 2,526) unlabeled / 8 per step) = 40 x 2,211
# = 88,440 iterations (SourceEpochTrainLoop computes them from the split)
train_dataloader = dict(dataset=dict(datasets=[
    dict(_base_.labeled_dataset, ann_file=f'ade/{split}/labeled.txt'),
    dict(_base_.unlabeled_dataset, ann_file=f'splits/ade/{split}/unlabeled.txt'),
]))
