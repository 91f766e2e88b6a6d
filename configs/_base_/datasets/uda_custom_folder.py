# A user's own domain-adaptation data in plain folders (UDAFolderDataset):
#   <data_root>/classes.txt                 one class name per line (line 1 = label 0)
#   <data_root>/source/images, source/labels           labeled source
#   <data_root>/target/images                          unlabeled target
#   <data_root>/target_val/images, target_val/labels   labeled target, for validation
# DAFormer-style pipelines: resize to `source_scale` / `target_scale`, 512 crops (source
# with cat_max_ratio=0.75), flips; the target is packed without strong views
# (PackTargetInputs) for methods that augment on the GPU. A config for a method that wants
# its own target pipeline (e.g. SemiVL's strong views) replaces `target_pipeline`.
data_root = 'data/my_uda'
classes_file = 'classes.txt'
num_classes = 19  # must equal the number of lines of classes.txt (checked at start)
crop_size = (512, 512)
source_scale = (1024, 512)
target_scale = (1024, 512)
samples_per_gpu = 2  # 1 source + 1 target

source_pipeline = [
    dict(type='SafeLoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='CheckLabelValues', num_classes=num_classes),
    dict(type='Resize', scale=source_scale, keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PadToSize', size=crop_size),
    dict(type='PackSemiInputs', branch='labeled'),
]
target_pipeline = [
    dict(type='SafeLoadImageFromFile'),
    dict(type='LoadOptionalAnnotations'),
    dict(type='AddValidMask'),
    dict(type='Resize', scale=target_scale, keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PadToSize', size=crop_size),
    dict(type='PackTargetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=target_scale, keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
source_dataset = dict(type='UDAFolderDataset', part='source', data_root=data_root,
                      classes_file=classes_file, num_classes=num_classes,
                      pipeline=source_pipeline)
target_dataset = dict(type='UDAFolderDataset', part='target', data_root=data_root,
                      classes_file=classes_file, num_classes=num_classes,
                      pipeline=target_pipeline)
train_dataloader = dict(
    batch_size=samples_per_gpu,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='MultiSourceSampler', batch_size=samples_per_gpu, source_ratio=(1, 1)),
    dataset=dict(type='UDAConcatDataset', datasets=[source_dataset, target_dataset]))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='UDAFolderDataset', part='target_val', data_root=data_root,
                 classes_file=classes_file, num_classes=num_classes, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='UDAIoUMetric', iou_metrics=['mIoU'], per_class=True)
test_evaluator = val_evaluator
