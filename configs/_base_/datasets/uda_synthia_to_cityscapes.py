# SYNTHIA -> Cityscapes, DAFormer's data path: as GTA5 -> Cityscapes with the source
# resized to 1280 x 760. The model keeps 19 classes; validation reports mIoU (19) and, as
# the literature does, mIoU16 and mIoU13 (UDAIoUMetric class_subsets='synthia').
_base_ = ['./uda_gta_to_cityscapes.py']
source_type = 'SynthiaDataset'
source_root = 'data/synthia'
source_scale = (1280, 760)
source_pipeline = [
    dict(type='SafeLoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='CheckLabelValues', num_classes=19),
    dict(type='Resize', scale=source_scale, keep_ratio=True),
    dict(type='RandomCrop', crop_size=(512, 512), cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSemiInputs', branch='labeled'),
]
source_dataset = dict(type=source_type, data_root=source_root, pipeline=source_pipeline)
train_dataloader = dict(dataset=dict(datasets=[source_dataset, _base_.target_dataset]))
val_evaluator = dict(type='UDAIoUMetric', iou_metrics=['mIoU'], class_subsets='synthia')
test_evaluator = val_evaluator
