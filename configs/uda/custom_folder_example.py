# Complete example: adapt SemiVL (CLIP ViT-B/16, language-guided decoder, dense CLIP
# guidance) from your labeled source folder to your unlabeled target folder, validating
# on the labeled target_val folder (layout in _base_/datasets/uda_custom_folder.py and
# docs/data_preparation.md). Source = SemiVL's labeled stream, target = its unlabeled
# stream, so the target keeps SemiVL's strong views and CutMix boxes.
#
#   python tools/train.py configs/uda/custom_folder_example.py
#
# Set `data_root` below to your folder (or link it to data/my_uda). Edit `classes` to the
# lines of <data_root>/classes.txt, in order; the datasets stop with an error naming both
# if they differ. Each class name is also its text for CLIP; give several descriptions per
# class in `_class_definitions` (see mmseg_semivl/class_definitions/*.yaml).
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/semivl_vit-b16.py',
    '../_base_/datasets/uda_custom_folder.py', '../_base_/schedules/adamw_poly.py'
]
# After `_base_`, so that MMEngine still reads this file as a text config.
from mmseg_semivl.datasets.pipelines import semi_pipelines, uda_pipelines  # noqa: E402

classes = ('road', 'sidewalk', 'building', 'vegetation', 'sky', 'person', 'car')
num_classes = len(classes)
_class_definitions = {name: [name] for name in classes}
data_root = 'data/my_uda'
crop_size = (512, 512)
max_iters = 40000
val_interval = 4000

# Source: the base's DAFormer-style pipeline with these classes checked; target: SemiVL's
# unlabeled stream (strong views, CutMix boxes) after a fixed 1024 x 512 resize.
source_pipeline = uda_pipelines(crop_size, source_scale=(1024, 512), target_scale=None,
                                num_classes=num_classes, pad=True)[0]
target_pipeline = semi_pipelines(crop_size, scale=(1024, 512), ratio_range=None)[1]
_folder = dict(type='UDAFolderDataset', data_root=data_root, metainfo=dict(classes=classes),
               num_classes=num_classes)
train_dataloader = dict(dataset=dict(datasets=[
    dict(_folder, part='source', pipeline=source_pipeline),
    dict(_folder, part='target', pipeline=target_pipeline),
]))
val_dataloader = test_dataloader = dict(dataset=dict(_folder, part='target_val'))

model = dict(
    decode_head=dict(num_classes=num_classes,
                     # _delete_: a mapping replaces the base's shipped name ('voc').
                     text_embeddings=dict(class_definitions=dict(_delete_=True,
                                                                 **_class_definitions),
                                          aggregation='name')),
    guidance=dict(class_definitions=dict(_delete_=True, **_class_definitions),
                  aggregation='max'),
    test_cfg=dict(mode='slide', crop_size=crop_size, stride=(426, 426)))
optimizer = dict(lr=6e-5)
optim_wrapper = dict(optimizer=optimizer)
param_scheduler = [dict(type='PolyLR', eta_min=0.0, power=1.0, begin=0, by_epoch=False)]
train_cfg = dict(max_iters=max_iters, val_interval=val_interval)
default_hooks = dict(checkpoint=dict(interval=val_interval))
