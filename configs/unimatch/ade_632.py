# UniMatch (ViT-B/16, CLIP init.) on ADE20K, 632 labeled images.
# Paper Table 4 (ImageNet init.): 31.2 mIoU.
_base_ = ['../_base_/unimatch/ade20k.py']
split = '1_32'  # mmseg_semivl/splits/ade/1_32: 632 labeled images
# 40 epochs x ceil((20,210 - 632) unlabeled / 8 per step) = 40 x 2,448
# = 97,920 iterations (SourceEpochTrainLoop computes them from the split)
train_dataloader = dict(dataset=dict(datasets=[
    dict(_base_.labeled_dataset, ann_file=f'ade/{split}/labeled.txt'),
    dict(_base_.unlabeled_dataset, ann_file=f'splits/ade/{split}/unlabeled.txt'),
]))
