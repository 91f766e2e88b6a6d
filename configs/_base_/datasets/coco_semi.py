# COCO 2017 as 81-class semantic segmentation (background + 80 things; 118,287
# training images) for semi-supervised training. As in the reference (img_scale=None
# for COCO), images are rescaled by 0.5-2.0 of their *own* size rather than of
# (2048, 512): RandomResize to 0.5-2.0 x (640, 640) with kept aspect ratio does exactly
# that for COCO's images, whose long side is 640 px (smaller images are scaled a bit
# more). Validation runs on the original size (no resize; the reference evaluates COCO
# with the same 512 / 426 sliding window as VOC but without the short-side-512 resize).
# The shipped lists are named by the labeled fraction: coco/1_512 = 232, 1_256 = 463,
# 1_128 = 925, 1_64 = 1849, 1_32 = 3697 images.
_base_ = ['./two_stream_loaders.py']
# After `_base_`, so that MMEngine still reads this file as a text config.
from mmseg_semivl.datasets.pipelines import semi_pipelines  # noqa: E402

num_classes = 81
crop_size = (512, 512)
# COCO's long side 640 x ratio_range = UniMatch's own-size rescale; validation on
# the original sizes.
labeled_pipeline, unlabeled_pipeline, test_pipeline = semi_pipelines(
    crop_size, scale=(640, 640), test_scale=None)
_dataset = dict(type='COCOSplitDataset', data_root='data/coco')
# The lists: mmseg_semivl/splits (shipped) and, for the unlabeled one, data_root.
labeled_dataset = dict(_dataset, ann_file='coco/1_512/labeled.txt', pipeline=labeled_pipeline)
unlabeled_dataset = dict(_dataset, ann_file='splits/coco/1_512/unlabeled.txt',
                         pipeline=unlabeled_pipeline)
train_dataloader = dict(dataset=dict(datasets=[labeled_dataset, unlabeled_dataset]))
val_dataloader = test_dataloader = dict(  # 5,000 images
    dataset=dict(_dataset, ann_file='coco/val.txt', pipeline=test_pipeline))
