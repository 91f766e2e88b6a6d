# DAFormer, CLIP ViT-B/16 / DAFormer head, GTA5 -> Cityscapes; 40k iterations, batch 2 + 2.
# Published number it should reach: configs/uda/README.md.
_base_ = [
    '../_base_/uda/daformer.py', '../_base_/uda/encoders/clip-vitb16.py',
    '../_base_/datasets/uda_gta_to_cityscapes_rcs.py', '../_base_/schedules/uda_40k.py'
]
# FD toward the initial CLIP weights (seed 001: it fights the CLIP features).
model = dict(student=_base_.student, data_preprocessor=_base_.data_preprocessor,
             **_base_.target_pseudo_label_crop,
             feature_distance=dict(allow_non_imagenet=True))
