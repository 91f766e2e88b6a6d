# UniMatch (ViT-B/16, CLIP init.) on Cityscapes, 186 labeled images.
# Paper Table 5 (ImageNet init.): 76.6 mIoU.
_base_ = ['../_base_/unimatch/cityscapes.py']
split = '1_16'  # mmseg_semivl/splits/cityscapes/1_16: 186 labeled images
# 83,760 iterations (from the base), as the reference for every Cityscapes split.
train_dataloader = dict(dataset=dict(datasets=[
    dict(_base_.labeled_dataset, ann_file=f'cityscapes/{split}/labeled.txt'),
    dict(_base_.unlabeled_dataset, ann_file=f'splits/cityscapes/{split}/unlabeled.txt'),
]))
