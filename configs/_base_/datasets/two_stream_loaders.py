# The loaders every two-stream dataset base shares (semi-supervised: labeled +
# unlabeled; domain adaptation: source + target): MultiSourceSampler draws each batch
# half from each stream of the ConcatDataset, 1:1; validation one image at a time, in
# order, scored by mIoU. A dataset base sets the datasets, its batch size (in the loader
# and in the sampler) and, where it differs, the workers and the metric.
samples_per_gpu = 2  # 1 + 1 per GPU
train_dataloader = dict(
    batch_size=samples_per_gpu,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='MultiSourceSampler', batch_size=samples_per_gpu, source_ratio=(1, 1)),
    dataset=dict(type='ConcatDataset'))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
