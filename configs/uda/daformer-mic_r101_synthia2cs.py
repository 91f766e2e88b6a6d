# DAFormer + MIC, ResNet-101 / DeepLabV2, SYNTHIA -> Cityscapes; 40k iterations, batch 2 + 2.
# Published number it should reach: configs/uda/README.md.
_base_ = [
    '../_base_/uda/daformer_mic.py', '../_base_/uda/encoders/r101.py',
    '../_base_/datasets/uda_synthia_to_cityscapes_rcs.py', '../_base_/schedules/uda_40k.py'
]
model = dict(student=_base_.student, data_preprocessor=_base_.data_preprocessor,
             **_base_.target_pseudo_label_crop)
