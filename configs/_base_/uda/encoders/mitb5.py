# MiT-B5 (MMSeg's MixVisionTransformer, SegFormer's ImageNet weights) with the DAFormer
# head (per-level linear embedding to 256, depthwise-separable ASPP 1/6/12/18): MiT-B0
# (./mitb0.py) at twice the width and 3/6/40/3 blocks per stage.
_base_ = ['./mitb0.py']
mit_b5_checkpoint = ('https://download.openmmlab.com/mmsegmentation/v0.5/pretrain/segformer/'
                     'mit_b5_20220624-658746d9.pth')
student = dict(
    backbone=dict(embed_dims=64, num_layers=[3, 6, 40, 3],
                  init_cfg=dict(checkpoint=mit_b5_checkpoint)),
    decode_head=dict(in_channels=[64, 128, 320, 512]))
