# UniMatch (ViT-B/16, CLIP init.) on ADE20K, 158 labeled images.
# Paper Table 4 (ImageNet init.): 18.4 mIoU.
_base_ = ['../_base_/unimatch/ade20k.py']
split = '1_128'  # mmseg_semivl/splits/ade/1_128: 158 labeled images
# 40 epochs x ceil((20,210 - 158) unlabeled / 8 per step) = 40 x 2,507
# = 100,280 iterations (SourceEpochTrainLoop computes them from the split)
train_dataloader = dict(dataset=dict(datasets=[
    dict(_base_.labeled_dataset, ann_file=f'ade/{split}/labeled.txt'),
    dict(_base_.unlabeled_dataset, ann_file=f'splits/ade/{split}/unlabeled.txt'),
]))
