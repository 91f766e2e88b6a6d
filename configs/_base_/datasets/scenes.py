# The generated-scenes task (mmseg_semivl.datasets.synthetic.scenes): 5 classes
# (background, vegetation, water, sand, brick) on 96 px scenes in VOC layout, written by
# tools/benchmark_learning.py or write_scene_dataset(). Two streams as in voc_semi.py;
# a split-list dataset with the task's own classes (the generic way to train on your
# own classes: docs/custom_dataset.md).
dataset_type = 'SplitListDataset'
data_root = 'data/scenes'
classes = ('background', 'vegetation', 'water', 'sand', 'brick')
palette = [[0, 0, 0], [60, 160, 60], [40, 90, 200], [220, 200, 90], [190, 50, 40]]
metainfo = dict(classes=classes, palette=palette)
num_classes = 5
labeled_list = 'splits/labeled.txt'
unlabeled_list = 'splits/unlabeled.txt'
val_list = 'splits/val.txt'
crop_size = (96, 96)
samples_per_gpu = 8  # 4 labeled + 4 unlabeled

geometric = [
    dict(type='RandomResize', scale=(96, 96), ratio_range=(1.0, 1.5), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
]
labeled_pipeline = [
    dict(type='SafeLoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='CheckLabelValues', num_classes=num_classes),
    *geometric,
    dict(type='PadToSize', size=crop_size),
    dict(type='PackSemiInputs', branch='labeled'),
]
unlabeled_pipeline = [
    dict(type='SafeLoadImageFromFile'),
    dict(type='LoadOptionalAnnotations'),  # only logged (pseudo-label mIoU)
    dict(type='AddValidMask'),
    *geometric,
    dict(type='StrongAugment'),
    dict(type='PadToSize', size=crop_size),
    dict(type='GenerateCutMixBox'),
    dict(type='PackSemiInputs', branch='unlabeled'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
labeled_dataset = dict(type=dataset_type, data_root=data_root, metainfo=metainfo,
                       ann_file=labeled_list, pipeline=labeled_pipeline)
unlabeled_dataset = dict(type=dataset_type, data_root=data_root, metainfo=metainfo,
                         ann_file=unlabeled_list, pipeline=unlabeled_pipeline)
train_dataloader = dict(
    batch_size=samples_per_gpu,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='MultiSourceSampler', batch_size=samples_per_gpu, source_ratio=(1, 1)),
    dataset=dict(type='ConcatDataset', datasets=[labeled_dataset, unlabeled_dataset]))
val_dataloader = dict(
    batch_size=1,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, metainfo=metainfo, ann_file=val_list,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
