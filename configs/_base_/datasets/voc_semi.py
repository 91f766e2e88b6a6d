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
_base_ = ['./two_stream_loaders.py']
# After `_base_`, so that MMEngine still reads this file as a text config.
from mmseg_semivl.datasets.pipelines import semi_pipelines  # noqa: E402

num_classes = 21
crop_size = (512, 512)
# Validation at short side 512, as the reference.
labeled_pipeline, unlabeled_pipeline, test_pipeline = semi_pipelines(
    crop_size, scale=(2048, 512), test_scale=(2048, 512))
_dataset = dict(type='PascalVOCSplitDataset', data_root='data/VOCdevkit/VOC2012')
# The lists: mmseg_semivl/splits (shipped) and, for the unlabeled one, data_root.
labeled_dataset = dict(_dataset, ann_file='pascal/92/labeled.txt', pipeline=labeled_pipeline)
unlabeled_dataset = dict(_dataset, ann_file='splits/pascal/92/unlabeled.txt',
                         pipeline=unlabeled_pipeline)
train_dataloader = dict(dataset=dict(datasets=[labeled_dataset, unlabeled_dataset]))
val_dataloader = test_dataloader = dict(  # 1,449 images
    dataset=dict(_dataset, ann_file='pascal/val.txt', pipeline=test_pipeline))
