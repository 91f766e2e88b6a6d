# Cityscapes -> Dark Zurich (night), DAFormer's data path: labeled Cityscapes train at
# 1024 x 512 (source, 512 crops with cat_max_ratio=0.75), the 2,416 unlabeled Dark Zurich
# night training images at 960 x 540 (target); validation on the 50 labeled Dark Zurich
# val images at 960 x 540 (the published numbers are on Dark Zurich test, server).
_base_ = ['./uda_gta_to_cityscapes.py']
source_root = 'data/cityscapes'
target_root = 'data/dark_zurich'
source_pipeline = [
    dict(type='SafeLoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='CheckLabelValues', num_classes=19),
    dict(type='Resize', scale=(1024, 512), keep_ratio=True),
    dict(type='RandomCrop', crop_size=(512, 512), cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSemiInputs', branch='labeled'),
]
target_pipeline = [
    dict(type='SafeLoadImageFromFile'),
    dict(type='LoadOptionalAnnotations'),
    dict(type='AddValidMask'),
    dict(type='Resize', scale=(960, 540), keep_ratio=True),
    dict(type='RandomCrop', crop_size=(512, 512)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackTargetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(960, 540), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
source_dataset = dict(type='CityscapesDataset', data_root=source_root,
                      data_prefix=dict(img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
                      pipeline=source_pipeline)
target_dataset = dict(type='UnlabeledDarkZurichDataset', data_root=target_root,
                      data_prefix=dict(img_path='rgb_anon/train/night'), pipeline=target_pipeline)
train_dataloader = dict(dataset=dict(datasets=[source_dataset, target_dataset]))
val_dataloader = dict(dataset=dict(
    type='DarkZurichDataset', data_root=target_root,
    data_prefix=dict(img_path='rgb_anon/val/night', seg_map_path='gt/val/night'),
    pipeline=test_pipeline))
test_dataloader = val_dataloader
