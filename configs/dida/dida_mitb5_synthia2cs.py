# DIDA, MiT-B5 / DAFormer head, SYNTHIA -> Cityscapes; 40k iterations, batch 2 + 2.
# Published number it should reach: configs/dida/README.md (63.3 mIoU16, 70.1 mIoU13).
# SYNTHIA has no terrain, truck, train: their slots stay empty (masked out), which is
# the balanced layout's cost of 3 x 16 slots; set instance_bank.class_slots to reuse them.
_base_ = [
    '../_base_/uda/dida.py', '../_base_/uda/encoders/mitb5.py',
    '../_base_/datasets/uda_synthia_to_cityscapes_rcs.py', '../_base_/schedules/uda_40k.py'
]
model = dict(student=_base_.student, data_preprocessor=_base_.data_preprocessor,
             **_base_.target_pseudo_label_crop)
