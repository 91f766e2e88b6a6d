# GTA5 -> Cityscapes, DAFormer's data path (unsupervised domain adaptation):
# - two streams per batch through MultiSourceSampler over ConcatDataset(source, target):
#   labeled GTA5 (source) and unlabeled Cityscapes train (target), 1:1 (DAFormer: 2 + 2
#   on one GPU);
# - source: resize to 1280 x 720 (keep ratio), 512 x 512 crop with cat_max_ratio=0.75,
#   flip; target: resize to 1024 x 512, 512 crop, flip. Photometric augmentation (colour
#   jitter, blur) and mixing belong to the method (done on the GPU), not to the pipelines;
# - validation on the 500 Cityscapes val images, whole image at 1024 x 512.
# Method configs inherit this file; `uda_gta_to_cityscapes_rcs.py` adds rare-class
# sampling. Prepare the data with tools/dataset_converters/prepare_gta.py and
# prepare_cityscapes.py (docs/data_preparation.md, "Domain adaptation").
num_classes = 19
crop_size = (512, 512)
source_type = 'GTADataset'
source_root = 'data/gta'
source_scale = (1280, 720)
target_type = 'UnlabeledCityscapesDataset'
target_root = 'data/cityscapes'
target_prefix = dict(img_path='leftImg8bit/train', seg_map_path='gtFine/train')
target_scale = (1024, 512)
val_type = 'CityscapesDataset'
val_prefix = dict(img_path='leftImg8bit/val', seg_map_path='gtFine/val')
val_scale = (1024, 512)
samples_per_gpu = 4  # 2 source + 2 target, DAFormer's batch on one GPU
# Rare-class sampling (DAFormer): softmax((1 - f_c) / T), files with > 3000 px of the
# class, re-crops until > 3000 x 0.5 px of it are in the crop (10 tries at most).
rcs_cfg = dict(temperature=0.01, min_pixels=3000, min_crop_ratio=0.5, max_crop_attempts=10)

source_pipeline = [
    dict(type='SafeLoadImageFromFile'),  # names the file it cannot read
    dict(type='LoadAnnotations'),
    dict(type='CheckLabelValues', num_classes=num_classes),  # names a file with raw ids
    dict(type='Resize', scale=source_scale, keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSemiInputs', branch='labeled'),
]
target_pipeline = [
    dict(type='SafeLoadImageFromFile'),
    dict(type='LoadOptionalAnnotations'),  # the unlabeled target reads no label
    dict(type='AddValidMask'),
    dict(type='Resize', scale=target_scale, keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackTargetInputs'),
]
test_pipeline = [
    # MMSeg's inference_model / MMSegInferencer look for this exact name.
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=val_scale, keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
source_dataset = dict(type=source_type, data_root=source_root, pipeline=source_pipeline)
target_dataset = dict(type=target_type, data_root=target_root, data_prefix=target_prefix,
                      pipeline=target_pipeline)
train_dataloader = dict(
    batch_size=samples_per_gpu,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='MultiSourceSampler', batch_size=samples_per_gpu, source_ratio=(1, 1)),
    dataset=dict(type='UDAConcatDataset', datasets=[source_dataset, target_dataset]))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=val_type, data_root=target_root, data_prefix=val_prefix,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='UDAIoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
