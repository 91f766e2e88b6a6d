# UniMatch (ViT-B/16 + DeepLabv3+) on ADE20K, shared by configs/unimatch/ade_*.py. Data,
# evaluation and schedule are SemiVL's, including the backbone lr x 0.001.
_base_ = [
    '../default_runtime.py', '../models/unimatch_vit-b16.py', '../schedules/ade20k_40ep.py'
]
model = dict(decode_head=dict(num_classes=150))
