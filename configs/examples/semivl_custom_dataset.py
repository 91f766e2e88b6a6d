# SemiVL on your own classes: a complete example (docs/custom_dataset.md).
# Folder layout (any names; the split lists hold paths relative to data_root):
#   data/my_task/images/*.jpg  data/my_task/labels/*.png (class indices, 255 = ignore)
#   data/my_task/labeled.txt   "<image> <label>" lines
#   data/my_task/unlabeled.txt "<image>" lines (labels, if present, are only logged)
#   data/my_task/val.txt       "<image> <label>" lines
#   data/my_task/classes.yaml  class definitions: class name -> concepts (see below)
# Train: python tools/train.py configs/examples/semivl_custom_dataset.py
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/semivl_vit-b16.py',
    '../_base_/datasets/voc_semi.py', '../_base_/schedules/adamw_poly.py'
]
# After `_base_`, so that MMEngine still reads this file as a text config.
from mmseg_semivl.datasets.pipelines import semi_pipelines  # noqa: E402

data_root = 'data/my_task'
# 1. Classes: the label order of your masks. The decoder embeds the class names, the
#    dense CLIP guidance scores each class as the max over its concepts.
classes = ('background', 'road', 'car', 'tree')
num_classes = len(classes)
metainfo = dict(classes=classes)  # MMSeg draws a palette; add `palette=[[r, g, b], ...]`
class_definitions = data_root + '/classes.yaml'  # e.g. "car: [car, van, truck]"
# 2. The crop, in the model and in the pipelines (MMEngine configs cannot share it).
crop_size = (512, 512)
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(img_size=crop_size[0]),
    decode_head=dict(
        num_classes=num_classes,
        text_embeddings=dict(class_definitions=class_definitions, aggregation='name')),
    guidance=dict(img_size=crop_size[0], class_definitions=class_definitions,
                  aggregation='max'),
    test_cfg=dict(mode='slide', crop_size=crop_size, stride=(426, 426)))
# 3. The pipelines: UniMatch's (rescale 0.5-2.0 x (2048, 512), crop, flip; strong views
#    and CutMix boxes on the unlabeled stream). To change a step, write the lists out:
#    print(Config.fromfile(this file).labeled_pipeline) shows them.
labeled_pipeline, unlabeled_pipeline, test_pipeline = semi_pipelines(
    crop_size, scale=(2048, 512), ratio_range=(0.5, 2.0), test_scale=(2048, 512))
# The generic split-list dataset with your classes (replaces the base's VOC dataset).
_dataset = dict(type='SplitListDataset', data_root=data_root, metainfo=metainfo)
labeled_dataset = dict(_dataset, ann_file='labeled.txt', pipeline=labeled_pipeline)
unlabeled_dataset = dict(_dataset, ann_file='unlabeled.txt', pipeline=unlabeled_pipeline)
# 1 labeled + 1 unlabeled per GPU (the base's loaders: train_dataloader.batch_size and
# sampler.batch_size set it).
train_dataloader = dict(dataset=dict(datasets=[labeled_dataset, unlabeled_dataset]))
val_dataloader = test_dataloader = dict(
    dataset=dict(_dataset, ann_file='val.txt', pipeline=test_pipeline))
# 4. Schedule: the paper's VOC optimisation (encoder x0.01, decoder x10).
max_iters = 40000
train_cfg = dict(max_iters=max_iters, val_interval=4000)
