# UniMatch (ViT-B/16 + DeepLabv3+) on Cityscapes, shared by
# configs/unimatch/cityscapes_*.py. Data, evaluation and schedule are SemiVL's,
# including the backbone lr x 0.1 and the 801 crops padded to 816.
_base_ = [
    '../default_runtime.py', '../models/unimatch_vit-b16.py',
    '../datasets/cityscapes_semi.py', '../schedules/cityscapes_240ep.py'
]
crop_size = (801, 801)
model = dict(
    data_preprocessor=dict(size=None, size_divisor=16),
    backbone=dict(img_size=crop_size),
    decode_head=dict(num_classes=19),
    test_cfg=dict(mode='slide', crop_size=crop_size, stride=(534, 534)))
