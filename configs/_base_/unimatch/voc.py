# UniMatch (ViT-B/16 + DeepLabv3+) on Pascal VOC, shared by configs/unimatch/voc_*.py.
# Data, evaluation and schedule are SemiVL's (the paper re-trains UniMatch in the SemiVL
# framework); the reference trains the fully fine-tuned ViT with backbone lr x 0.001
# (experiments.py, "UniMatch w/ ViT") instead of SemiVL's x 0.01.
_base_ = [
    '../default_runtime.py', '../models/unimatch_vit-b16.py', '../schedules/voc_80ep.py'
]
backbone_lr_mult = 0.001
model = dict(decode_head=dict(num_classes=21))
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys=dict(backbone=dict(lr_mult=backbone_lr_mult))))
