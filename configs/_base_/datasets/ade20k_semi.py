# ADE20K (ADEChallengeData2016: 20,210 training images, 150 classes) for
# semi-supervised training. The reference trains and evaluates it exactly like VOC
# (rescale 0.5-2.0 x (2048, 512), 512 crops, validation at short side 512), so the
# pipelines are VOC's; label 0 ("other") is ignored by ADE20KSplitDataset
# (reduce_zero_label=True). The split bases (datasets/splits/ade_*.py) replace `labeled_dataset` and
# `unlabeled_dataset`. The shipped lists are named by the labeled fraction:
# ade/1_128 = 158, 1_64 = 316, 1_32 = 632, 1_16 = 1263, 1_8 = 2526 images.
_base_ = ['./voc_semi.py']
dataset_type = 'ADE20KSplitDataset'
data_root = 'data/ade/ADEChallengeData2016'
num_classes = 150
labeled_list = 'ade/1_128/labeled.txt'
unlabeled_list = 'splits/ade/1_128/unlabeled.txt'
val_list = 'ade/val.txt'  # 2,000 images

# VOC's labeled pipeline with ADE's label range checked.
labeled_pipeline = [
    dict(type='SafeLoadImageFromFile'),  # names the file it cannot read
    dict(type='LoadAnnotations'),
    dict(type='CheckLabelValues'),  # names a file with bad labels (classes: the dataset's)
    *_base_.geometric,
    dict(type='PadToSize', size=_base_.crop_size),
    dict(type='PackSemiInputs', branch='labeled'),
]
labeled_dataset = dict(
    type=dataset_type, data_root=data_root, ann_file=labeled_list, pipeline=labeled_pipeline)
unlabeled_dataset = dict(
    type=dataset_type, data_root=data_root, ann_file=unlabeled_list,
    pipeline=_base_.unlabeled_pipeline)
train_dataloader = dict(dataset=dict(datasets=[labeled_dataset, unlabeled_dataset]))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, ann_file=val_list))
test_dataloader = val_dataloader
