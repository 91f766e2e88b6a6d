# MiT-B5 (MMSeg's MixVisionTransformer, SegFormer's ImageNet weights) with the DAFormer
# head (per-level linear embedding to 256, depthwise-separable ASPP 1/6/12/18).
norm_cfg = dict(type='BN', requires_grad=True)
mit_b5_checkpoint = ('https://download.openmmlab.com/mmsegmentation/v0.5/pretrain/segformer/'
                     'mit_b5_20220624-658746d9.pth')
data_preprocessor = dict(
    type='SemiSegDataPreProcessor', mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_val=0, seg_pad_val=255, size=(512, 512))
student = dict(
    type='HeadSyncedEncoderDecoder',
    backbone=dict(type='MixVisionTransformer', in_channels=3, embed_dims=64, num_stages=4,
                  num_layers=[3, 6, 40, 3], num_heads=[1, 2, 5, 8], patch_sizes=[7, 3, 3, 3],
                  sr_ratios=[8, 4, 2, 1], out_indices=(0, 1, 2, 3), mlp_ratio=4,
                  qkv_bias=True, drop_rate=0.0, attn_drop_rate=0.0, drop_path_rate=0.1,
                  init_cfg=dict(type='Pretrained', checkpoint=mit_b5_checkpoint)),
    decode_head=dict(type='DAFormerHead', in_channels=[64, 128, 320, 512],
                     in_index=[0, 1, 2, 3], channels=256, embed_dims=256,
                     dilations=(1, 6, 12, 18), separable=True, dropout_ratio=0.1,
                     num_classes=19, norm_cfg=norm_cfg, align_corners=False,
                     loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False,
                                      loss_weight=1.0)),
    test_cfg=dict(mode='whole'))
