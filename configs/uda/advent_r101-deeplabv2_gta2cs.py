# ADVENT (AdvEnt), ResNet-101 + DeepLabV2 (main + aux level), GTA5 -> Cityscapes:
# 40k iterations, DAFormer-family schedule (segmentor SGD 2.5e-3 with warm-up + poly;
# discriminators Adam 1e-4, poly 0.9).
#   python tools/train.py configs/uda/advent_r101-deeplabv2_gta2cs.py
_base_ = [
    '../_base_/default_runtime.py', '../_base_/uda_methods/advent.py',
    '../_base_/uda_encoders/deeplabv2_r101.py', '../_base_/datasets/uda_gta_to_cityscapes.py',
    '../_base_/schedules/uda_adversarial_sgd_40k.py'
]
model = dict(student=_base_.student, data_preprocessor=_base_.data_preprocessor)
# The SemiVL visualisation hook draws pseudo-labels and CLIP guidance, which
# adversarial methods do not have.
custom_hooks = [dict(type='ExactResumeHook'),
                dict(type='CheckpointCompatibilityHook'), dict(type='SetupCheckHook')]
