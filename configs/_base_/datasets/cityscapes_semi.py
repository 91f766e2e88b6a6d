# Cityscapes (2,975 finely annotated training images, 19 classes) for semi-supervised
# training, as the reference (img_scale=None, crop 801): rescale 0.5-2.0 x (2048, 1024)
# (= the image's own size), 801 x 801 crop, flip; validation on the full 1024 x 2048
# images (sliding window 801, stride 534: the model's test_cfg).
# 801 is not a multiple of the patch size 16: the model's data pre-processor pads every
# training batch to 816 x 816 (size_divisor=16; padding is invalid for every loss) and
# the backbone resizes its positional embedding on the fly to the 51 x 51 token grid,
# as the reference does. The shipped lists are named by the labeled fraction:
# cityscapes/1_30 = 100, 1_16 = 186, 1_8 = 372, 1_4 = 744, 1_2 = 1488 images.
_base_ = ['./voc_semi.py']
dataset_type = 'CityscapesSplitDataset'
data_root = 'data/cityscapes'
num_classes = 19
labeled_list = 'cityscapes/1_30/labeled.txt'
unlabeled_list = 'splits/cityscapes/1_30/unlabeled.txt'
val_list = 'cityscapes/val.txt'  # 500 images
crop_size = (801, 801)
scale = (2048, 1024)
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
    dict(type='LoadOptionalAnnotations'),
    dict(type='AddValidMask'),
    *geometric,
    dict(type='StrongAugment'),
    dict(type='PadToSize', size=crop_size),
    dict(type='GenerateCutMixBox'),
    dict(type='PackSemiInputs', branch='unlabeled'),
]
test_pipeline = [
    # MMSeg's inference_model / MMSegInferencer look for this exact name.
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
labeled_dataset = dict(
    type=dataset_type, data_root=data_root, ann_file=labeled_list, pipeline=labeled_pipeline)
unlabeled_dataset = dict(
    type=dataset_type, data_root=data_root, ann_file=unlabeled_list, pipeline=unlabeled_pipeline)
# Loader settings (batch, workers, MultiSourceSampler, evaluator) are VOC's.
train_dataloader = dict(dataset=dict(datasets=[labeled_dataset, unlabeled_dataset]))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, ann_file=val_list,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
