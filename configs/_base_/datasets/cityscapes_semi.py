# Cityscapes (2,975 finely annotated training images, 19 classes) for semi-supervised
# training, as the reference (img_scale=None, crop 801): rescale 0.5-2.0 x (2048, 1024)
# (= the image's own size), 801 x 801 crop, flip; validation on the full 1024 x 2048
# images (sliding window 801, stride 534: the model's test_cfg).
# 801 is not a multiple of the patch size 16: the model's data pre-processor pads every
# training batch to 816 x 816 (size_divisor=16; padding is invalid for every loss) and
# the backbone resizes its positional embedding on the fly to the 51 x 51 token grid,
# as the reference does. The shipped lists are named by the labeled fraction:
# cityscapes/1_30 = 100, 1_16 = 186, 1_8 = 372, 1_4 = 744, 1_2 = 1488 images.
_base_ = ['./two_stream_loaders.py']
# After `_base_`, so that MMEngine still reads this file as a text config.
from mmseg_semivl.datasets.pipelines import semi_pipelines  # noqa: E402

num_classes = 19
crop_size = (801, 801)
# Validation on the full 1024 x 2048 images.
labeled_pipeline, unlabeled_pipeline, test_pipeline = semi_pipelines(
    crop_size, scale=(2048, 1024), test_scale=None)
_dataset = dict(type='CityscapesSplitDataset', data_root='data/cityscapes')
# The lists: mmseg_semivl/splits (shipped) and, for the unlabeled one, data_root.
labeled_dataset = dict(_dataset, ann_file='cityscapes/1_30/labeled.txt', pipeline=labeled_pipeline)
unlabeled_dataset = dict(_dataset, ann_file='splits/cityscapes/1_30/unlabeled.txt',
                         pipeline=unlabeled_pipeline)
train_dataloader = dict(dataset=dict(datasets=[labeled_dataset, unlabeled_dataset]))
val_dataloader = test_dataloader = dict(  # 500 images
    dataset=dict(_dataset, ann_file='cityscapes/val.txt', pipeline=test_pipeline))
