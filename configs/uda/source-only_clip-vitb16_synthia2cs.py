# Source-only baseline, CLIP ViT-B/16 / DAFormer head, SYNTHIA -> Cityscapes; 40k iterations, batch 2 + 2.
# Published number it should reach: configs/uda/README.md.
_base_ = [
    '../_base_/uda/source_only.py', '../_base_/uda/encoders/clip-vitb16.py',
    '../_base_/datasets/uda_synthia_to_cityscapes.py', '../_base_/schedules/uda_40k.py'
]
model = dict(student=_base_.student, data_preprocessor=_base_.data_preprocessor)
