# The generated-scenes task (mmseg_semivl.datasets.synthetic.scenes): 5 classes
# (background, vegetation, water, sand, brick) on 96 px scenes in VOC layout, written by
# tools/benchmark_learning.py or write_scene_dataset(). Two streams as in voc_semi.py;
# a split-list dataset with the task's own classes (the generic way to train on your
# own classes: docs/custom_dataset.md).
_base_ = ['./two_stream_loaders.py']
# After `_base_`, so that MMEngine still reads this file as a text config.
from mmseg_semivl.datasets.pipelines import semi_pipelines  # noqa: E402

classes = ('background', 'vegetation', 'water', 'sand', 'brick')
palette = [[0, 0, 0], [60, 160, 60], [40, 90, 200], [220, 200, 90], [190, 50, 40]]
metainfo = dict(classes=classes, palette=palette)
num_classes = 5
crop_size = (96, 96)
samples_per_gpu = 8  # 4 labeled + 4 unlabeled
labeled_pipeline, unlabeled_pipeline, test_pipeline = semi_pipelines(
    crop_size, scale=(96, 96), ratio_range=(1.0, 1.5))
_dataset = dict(type='SplitListDataset', data_root='data/scenes', metainfo=metainfo)
labeled_dataset = dict(_dataset, ann_file='splits/labeled.txt', pipeline=labeled_pipeline)
unlabeled_dataset = dict(_dataset, ann_file='splits/unlabeled.txt', pipeline=unlabeled_pipeline)
train_dataloader = dict(
    batch_size=samples_per_gpu, num_workers=0, persistent_workers=False,
    sampler=dict(batch_size=samples_per_gpu),
    dataset=dict(datasets=[labeled_dataset, unlabeled_dataset]))
val_dataloader = test_dataloader = dict(
    num_workers=0, persistent_workers=False,
    dataset=dict(_dataset, ann_file='splits/val.txt', pipeline=test_pipeline))
