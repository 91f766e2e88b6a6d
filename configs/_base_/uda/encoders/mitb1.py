# MiT-B1 (SegFormer's ImageNet weights) + DAFormer head as a UDA student (e.g. the DACS /
# DAFormer baseline of DUDA's light student): ../light/mitb1.py as `student`.
_base_ = ['../light/mitb1.py']
data_preprocessor = dict(
    type='SemiSegDataPreProcessor', mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_val=0, seg_pad_val=255, size=(512, 512))
student = _base_.light_student
