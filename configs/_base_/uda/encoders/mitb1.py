# MiT-B1 (SegFormer's ImageNet weights) + DAFormer head as a UDA student or DUDA's light
# student: MiT-B0 (./mitb0.py) at twice the width.
_base_ = ['./mitb0.py']
mit_b1_checkpoint = ('https://download.openmmlab.com/mmsegmentation/v0.5/pretrain/segformer/'
                     'mit_b1_20220624-02e5a6a1.pth')
student = dict(
    backbone=dict(embed_dims=64, init_cfg=dict(checkpoint=mit_b1_checkpoint)),
    decode_head=dict(in_channels=[64, 128, 320, 512]))
