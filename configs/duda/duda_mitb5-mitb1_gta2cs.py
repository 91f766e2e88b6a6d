# DUDA, heavy MiT-B5 / DAFormer head -> light MiT-B1 / DAFormer head, GTA5 -> Cityscapes;
# 40k iterations, batch 2 + 2, bf16 autocast; published numbers and what is unknown:
# configs/duda/README.md.
_base_ = [
    '../_base_/uda/duda.py', '../_base_/uda/heavy/mitb5.py', '../_base_/uda/encoders/mitb1.py',
    '../_base_/datasets/uda_gta_to_cityscapes_rcs.py', '../_base_/schedules/uda_40k_bf16.py'
]
model = dict(student=_base_.student, heavy=_base_.heavy_student,
             data_preprocessor=_base_.data_preprocessor,
             heavy_method=_base_.target_pseudo_label_crop)
