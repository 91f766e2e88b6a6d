# COCO 2017 as 81-class semantic segmentation (background + 80 things; 118,287
# training images) for semi-supervised training. As in the reference (img_scale=None
# for COCO), images are rescaled by 0.5-2.0 of their *own* size rather than of
# (2048, 512): RandomResize to 0.5-2.0 x (640, 640) with kept aspect ratio does exactly
# that for COCO's images, whose long side is 640 px (smaller images are scaled a bit
# more). Validation runs on the original size (no resize; the reference evaluates COCO
# with the same 512 / 426 sliding window as VOC but without the short-side-512 resize).
# The shipped lists are named by the labeled fraction: coco/1_512 = 232, 1_256 = 463,
# 1_128 = 925, 1_64 = 1849, 1_32 = 3697 images.
_base_ = ['./voc_semi.py']
dataset_type = 'COCOSplitDataset'
data_root = 'data/coco'
num_classes = 81
labeled_list = 'coco/1_512/labeled.txt'
unlabeled_list = 'splits/coco/1_512/unlabeled.txt'
val_list = 'coco/val.txt'  # 5,000 images
crop_size = (512, 512)
scale = (640, 640)  # COCO's long side; x ratio_range = UniMatch's own-size rescale
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
