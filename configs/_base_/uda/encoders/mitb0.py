# MiT-B0 (MMSeg's MixVisionTransformer, SegFormer's ImageNet weights) with the DAFormer
# head (per-level linear embedding to 256, depthwise-separable ASPP 1/6/12/18: the head's
# defaults), as a UDA student (e.g. the DACS / DAFormer baseline of DUDA's light student)
# and as DUDA's light student itself (a leaf sets model.student to `student`).
# mitb1.py and mitb5.py are this file at another width / depth, as in MMSeg's SegFormer
# configs.
_base_ = ['../data_preprocessor.py']
mit_b0_checkpoint = ('https://download.openmmlab.com/mmsegmentation/v0.5/pretrain/segformer/'
                     'mit_b0_20220624-7e0fe6dd.pth')
student = dict(
    type='HeadSyncedEncoderDecoder',
    backbone=dict(type='MixVisionTransformer', in_channels=3, embed_dims=32, num_stages=4,
                  num_layers=[2, 2, 2, 2], num_heads=[1, 2, 5, 8], patch_sizes=[7, 3, 3, 3],
                  sr_ratios=[8, 4, 2, 1], out_indices=(0, 1, 2, 3), mlp_ratio=4,
                  qkv_bias=True, drop_rate=0.0, attn_drop_rate=0.0, drop_path_rate=0.1,
                  init_cfg=dict(type='Pretrained', checkpoint=mit_b0_checkpoint)),
    decode_head=dict(type='DAFormerHead', in_channels=[32, 64, 160, 256], num_classes=19),
    test_cfg=dict(mode='whole'))
