# DIDA, EVA02-CLIP-L/14 / DAFormer head, GTA5 -> Cityscapes; 40k iterations, batch 2 + 2.
# Not in the paper (seed 001's encoder on seed 003's method): no published number.
_base_ = [
    '../_base_/uda/dida.py', '../_base_/uda/encoders/eva02-l14.py',
    '../_base_/datasets/uda_gta_to_cityscapes_rcs.py', '../_base_/schedules/uda_40k.py'
]
# FD toward the initial CLIP weights (seed 001), as daformer_eva02-l14_gta2cs.py.
model = dict(student=_base_.student, data_preprocessor=_base_.data_preprocessor,
             **_base_.target_pseudo_label_crop,
             feature_distance=dict(allow_non_imagenet=True))
