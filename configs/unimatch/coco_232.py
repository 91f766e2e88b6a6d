# UniMatch (ViT-B/16, CLIP init.) on COCO, 232 labeled images.
# Paper Table 3 (ImageNet init.): 36.6 mIoU.
_base_ = ['../_base_/unimatch/coco.py']
split = '1_512'  # mmseg_semivl/splits/coco/1_512: 232 labeled images
# 10 epochs x ceil((118,287 - 232) unlabeled / 8 per step) = 10 x 14,757
# = 147,570 iterations (SourceEpochTrainLoop computes them from the split)
train_dataloader = dict(dataset=dict(datasets=[
    dict(_base_.labeled_dataset, ann_file=f'coco/{split}/labeled.txt'),
    dict(_base_.unlabeled_dataset, ann_file=f'splits/coco/{split}/unlabeled.txt'),
]))
