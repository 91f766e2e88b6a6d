# UniMatch (ViT-B/16 + DeepLabv3+) on Cityscapes, shared by
# configs/unimatch/cityscapes_*.py. Data, evaluation and schedule are SemiVL's,
# including the backbone lr x 0.1 and the 801 crops padded to 816.
_base_ = [
    '../default_runtime.py', '../models/unimatch_vit-b16.py',
    '../schedules/cityscapes_240ep.py'
]
# The training crop of datasets/cityscapes_semi.py (a leaf's split base brings that file;
# MMEngine allows a variable in one base only, hence its own name here).
cityscapes_crop = (801, 801)
model = dict(
    data_preprocessor=dict(size=None, size_divisor=16),
    backbone=dict(img_size=cityscapes_crop),
    decode_head=dict(num_classes=19),
    test_cfg=dict(mode='slide', crop_size=cityscapes_crop, stride=(534, 534)))
