# UniMatch (ViT-B/16, CLIP init.) on Pascal VOC, 366 labeled images.
# Paper Table 1 (ImageNet init.): 82.0 mIoU.
_base_ = ['../_base_/unimatch/voc.py']
split = '366'  # mmseg_semivl/splits/pascal/366: 366 labeled images
# 80 epochs x ceil((10,582 - 366) unlabeled / 8 per step) = 80 x 1,277
# = 102,160 iterations (SourceEpochTrainLoop computes them from the split)
train_dataloader = dict(dataset=dict(datasets=[
    dict(_base_.labeled_dataset, ann_file=f'pascal/{split}/labeled.txt'),
    dict(_base_.unlabeled_dataset, ann_file=f'splits/pascal/{split}/unlabeled.txt'),
]))
