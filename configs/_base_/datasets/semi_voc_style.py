# Two-stream data for SemiVL on a VOC-style split-list dataset (UniMatch's augmentation).
# Dataset configs override `data_root`, the list files, `crop_size` and the scales.
dataset_type = 'PascalVOCSplitDataset'
data_root = 'data/VOCdevkit/VOC2012'
labeled_list = 'pascal/92/labeled.txt'
unlabeled_list = 'splits/pascal/92/unlabeled.txt'
val_list = 'pascal/val.txt'
crop_size = (512, 512)
scale = (2048, 512)
ratio_range = (0.5, 2.0)
samples_per_gpu = 2  # 1 labeled + 1 unlabeled; x 8 GPUs = the paper's 8 + 8

geometric = [
    dict(type='RandomResize', scale=scale, ratio_range=ratio_range, keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
]
labeled_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    *geometric,
    dict(type='PadToSize', size=crop_size),
    dict(type='PackSemiInputs', branch='labeled'),
]
unlabeled_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadOptionalAnnotations'),  # ground truth, when present, is only logged
    dict(type='AddValidMask'),
    *geometric,
    dict(type='StrongAugment'),  # before padding: strong views stay 0 on padding
    dict(type='PadToSize', size=crop_size),
    dict(type='GenerateCutMixBox'),
    dict(type='PackSemiInputs', branch='unlabeled'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2048, 512), keep_ratio=True),  # short side 512 (VOC/ADE)
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    batch_size=samples_per_gpu,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='MultiSourceSampler', batch_size=samples_per_gpu, source_ratio=(1, 1)),
    dataset=dict(
        type='ConcatDataset',
        datasets=[
            dict(type=dataset_type, data_root=data_root, ann_file=labeled_list,
                 pipeline=labeled_pipeline),
            dict(type=dataset_type, data_root=data_root, ann_file=unlabeled_list,
                 pipeline=unlabeled_pipeline),
        ]))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, ann_file=val_list,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
