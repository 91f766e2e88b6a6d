# UniMatch (ViT-B/16 + DeepLabv3+) on COCO, shared by configs/unimatch/coco_*.py. Data,
# evaluation and schedule are SemiVL's, including the backbone lr x 0.001.
_base_ = [
    '../default_runtime.py', '../models/unimatch_vit-b16.py', '../schedules/coco_10ep.py'
]
model = dict(decode_head=dict(num_classes=81))
