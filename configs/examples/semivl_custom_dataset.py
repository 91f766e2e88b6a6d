# SemiVL on your own classes: a complete example (docs/custom_dataset.md).
# Folder layout (any names; the split lists hold paths relative to data_root):
#   data/my_task/images/*.jpg  data/my_task/labels/*.png (class indices, 255 = ignore)
#   data/my_task/labeled.txt   "<image> <label>" lines
#   data/my_task/unlabeled.txt "<image>" lines (labels, if present, are only logged)
#   data/my_task/val.txt       "<image> <label>" lines
#   data/my_task/classes.yaml  class definitions: class name -> concepts (see below)
# Train: python tools/train.py configs/examples/semivl_custom_dataset.py
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/semivl_vit-b16.py',
    '../_base_/datasets/scenes.py', '../_base_/schedules/adamw_poly.py'
]
data_root = 'data/my_task'
# 1. Classes: the label order of your masks. The decoder embeds the class names, the
#    dense CLIP guidance scores each class as the max over its concepts.
classes = ('background', 'road', 'car', 'tree')
metainfo = dict(classes=classes)  # MMSeg draws a palette; add `palette=[[r, g, b], ...]`
class_definitions = data_root + '/classes.yaml'  # e.g. "car: [car, van, truck]"
# 2. The crop, in the model and in the pipelines (MMEngine configs cannot share it).
crop_size = (512, 512)
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(img_size=crop_size[0]),
    decode_head=dict(
        num_classes=len(classes),
        text_embeddings=dict(class_definitions=class_definitions, aggregation='name')),
    guidance=dict(img_size=crop_size[0], class_definitions=class_definitions,
                  aggregation='max'),
    test_cfg=dict(mode='slide', crop_size=crop_size, stride=(426, 426)))
geometric = [
    dict(type='RandomResize', scale=(2048, 512), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
]
labeled_pipeline = [
    dict(type='SafeLoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='CheckLabelValues', num_classes=len(classes)),
    *geometric,
    dict(type='PadToSize', size=crop_size),
    dict(type='PackSemiInputs', branch='labeled'),
]
unlabeled_pipeline = [
    dict(type='SafeLoadImageFromFile'),
    dict(type='LoadOptionalAnnotations'),
    dict(type='AddValidMask'),
    *geometric,
    dict(type='StrongAugment'),
    dict(type='PadToSize', size=crop_size),
    dict(type='GenerateCutMixBox'),
    dict(type='PackSemiInputs', branch='unlabeled'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2048, 512), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
dataset = dict(type='SplitListDataset', data_root=data_root, metainfo=metainfo)
train_dataloader = dict(
    batch_size=2,  # 1 labeled + 1 unlabeled per GPU
    num_workers=4,
    persistent_workers=True,
    sampler=dict(batch_size=2),
    dataset=dict(datasets=[
        dict(dataset, ann_file='labeled.txt', pipeline=labeled_pipeline),
        dict(dataset, ann_file='unlabeled.txt', pipeline=unlabeled_pipeline),
    ]))
val_dataloader = dict(
    num_workers=2, persistent_workers=True,
    dataset=dict(dataset, ann_file='val.txt', pipeline=test_pipeline))
test_dataloader = val_dataloader
# 3. Schedule: the paper's VOC optimisation (encoder x0.01, decoder x10).
max_iters = 40000
train_cfg = dict(max_iters=max_iters, val_interval=4000)
param_scheduler = [
    dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=max_iters, by_epoch=False)
]
