# Pascal VOC 2012 with the SBD masks ("aug", 10,582 training images, 21 classes) for
# semi-supervised training (paper Sec. 4.1; UniMatch's data pipeline):
# - two streams in every batch, 1 labeled + 1 unlabeled image per GPU (x 8 GPUs =
#   the paper's 8 + 8), mixed by MultiSourceSampler over ConcatDataset(labeled,
#   unlabeled);
# - random rescale to 0.5-2.0 x (2048, 512), 512 x 512 crop, flip; the unlabeled
#   stream adds its strong views and CutMix boxes;
# - validation at short side 512 (sliding-window inference: the model's test_cfg).
# The split bases (datasets/splits/voc_*.py) replace the two lists through `labeled_dataset` and
# `unlabeled_dataset`. `tools/dataset_converters/prepare_voc.py` checks or builds the
# folder; `tools/make_unlabeled_split.py pascal <data_root> --split <n>` writes the
# unlabeled list (see docs/data_preparation.md).
dataset_type = 'PascalVOCSplitDataset'
data_root = 'data/VOCdevkit/VOC2012'
num_classes = 21
labeled_list = 'pascal/92/labeled.txt'  # shipped with the package (mmseg_semivl/splits)
unlabeled_list = 'splits/pascal/92/unlabeled.txt'  # relative to data_root
val_list = 'pascal/val.txt'  # shipped, 1,449 images
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
    dict(type='SafeLoadImageFromFile'),  # names the file it cannot read
    dict(type='LoadAnnotations'),
    dict(type='CheckLabelValues'),  # names a file with bad labels (classes: the dataset's)
    *geometric,
    dict(type='PadToSize', size=crop_size),
    dict(type='PackSemiInputs', branch='labeled'),
]
unlabeled_pipeline = [
    dict(type='SafeLoadImageFromFile'),  # names the file it cannot read
    dict(type='LoadOptionalAnnotations'),  # ground truth, when present, is only logged
    dict(type='AddValidMask'),
    *geometric,
    dict(type='StrongAugment'),  # before padding: strong views stay 0 on padding
    dict(type='PadToSize', size=crop_size),
    dict(type='GenerateCutMixBox'),
    dict(type='PackSemiInputs', branch='unlabeled'),
]
test_pipeline = [
    # MMSeg's inference_model / MMSegInferencer look for this exact name.
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=scale, keep_ratio=True),  # short side 512, as the reference
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
labeled_dataset = dict(
    type=dataset_type, data_root=data_root, ann_file=labeled_list, pipeline=labeled_pipeline)
unlabeled_dataset = dict(
    type=dataset_type, data_root=data_root, ann_file=unlabeled_list, pipeline=unlabeled_pipeline)
train_dataloader = dict(
    batch_size=samples_per_gpu,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='MultiSourceSampler', batch_size=samples_per_gpu, source_ratio=(1, 1)),
    dataset=dict(type='ConcatDataset', datasets=[labeled_dataset, unlabeled_dataset]))
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
