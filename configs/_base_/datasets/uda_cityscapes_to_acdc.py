# Cityscapes -> ACDC (all four conditions), DAFormer's data path: labeled Cityscapes
# train resized to 1024 x 512 (source, 512 crops with cat_max_ratio=0.75), unlabeled ACDC
# train (fog, night, rain, snow: 1,600 images) resized to 960 x 540 (target); validation
# on ACDC val (406 images) at 960 x 540. The published numbers are on ACDC test (server).
_base_ = ['./uda_gta_to_cityscapes.py']
source_root = 'data/cityscapes'
target_root = 'data/acdc'
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
# Rare-class statistics of Cityscapes train: prepare_cityscapes.py writes them.
# Every key of the base's target_dataset is set here (config merging keeps the others).
target_dataset = dict(type='ACDCDataset', data_root=target_root,
                      data_prefix=dict(img_path='rgb_anon', seg_map_path='gt'), conditions='all',
                      split='train', with_labels=False, pipeline=target_pipeline)
train_dataloader = dict(dataset=dict(datasets=[source_dataset, target_dataset]))
val_dataloader = dict(dataset=dict(
    _delete_=True, type='ACDCDataset', data_root=target_root, conditions='all', split='val',
    pipeline=test_pipeline))
test_dataloader = val_dataloader
