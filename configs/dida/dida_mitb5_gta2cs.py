# DIDA, MiT-B5 / DAFormer head, GTA5 -> Cityscapes; 40k iterations, batch 2 + 2.
# Published number it should reach: configs/dida/README.md (71.0 mIoU).
_base_ = [
    '../_base_/uda/dida.py', '../_base_/uda/encoders/mitb5.py',
    '../_base_/datasets/uda_gta_to_cityscapes_rcs.py', '../_base_/schedules/uda_40k.py'
]
model = dict(student=_base_.student, data_preprocessor=_base_.data_preprocessor,
             **_base_.target_pseudo_label_crop)
