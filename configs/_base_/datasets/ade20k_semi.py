# ADE20K (ADEChallengeData2016: 20,210 training images, 150 classes) for
# semi-supervised training. The reference trains and evaluates it exactly like VOC
# (rescale 0.5-2.0 x (2048, 512), 512 crops, validation at short side 512), so the
# pipelines are VOC's; label 0 ("other") is ignored by ADE20KSplitDataset
# (reduce_zero_label=True). The split bases (datasets/splits/ade_*.py) replace `labeled_dataset` and
# `unlabeled_dataset`. The shipped lists are named by the labeled fraction:
# ade/1_128 = 158, 1_64 = 316, 1_32 = 632, 1_16 = 1263, 1_8 = 2526 images.
_base_ = ['./voc_semi.py']
num_classes = 150
_dataset = dict(type='ADE20KSplitDataset', data_root='data/ade/ADEChallengeData2016')
# VOC's pipelines (the base's dataset entries) on ADE's images and lists.
labeled_dataset = dict(_base_.labeled_dataset, **_dataset, ann_file='ade/1_128/labeled.txt')
unlabeled_dataset = dict(_base_.unlabeled_dataset, **_dataset,
                         ann_file='splits/ade/1_128/unlabeled.txt')
train_dataloader = dict(dataset=dict(datasets=[labeled_dataset, unlabeled_dataset]))
val_dataloader = test_dataloader = dict(  # 2,000 images
    dataset=dict(_dataset, ann_file='ade/val.txt'))
