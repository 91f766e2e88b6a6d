# MiT-B5 (SegFormer's encoder, MMSeg's MixVisionTransformer) with an all-MLP decoder at
# 256 channels. DAFormer's ASPP head belongs to the self-training configs (issue 17); until
# both are merged this file uses MMSeg's SegformerHead (docs/deviations.md). One output
# level (main). ImageNet weights: MMSeg's converted mit_b5.pth
# (MMSeg's tools/model_converters/mit2mmseg.py).
_classes = 19  # the 19 Cityscapes classes of every UDA dataset pair
norm_cfg = dict(type='BN', requires_grad=True)
data_preprocessor = dict(
    type='SemiSegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=(512, 512))
student = dict(
    type='HeadSyncedEncoderDecoder',
    backbone=dict(
        type='MixVisionTransformer', in_channels=3, embed_dims=64, num_stages=4,
        num_layers=[3, 6, 40, 3], num_heads=[1, 2, 5, 8], patch_sizes=[7, 3, 3, 3],
        sr_ratios=[8, 4, 2, 1], out_indices=(0, 1, 2, 3), mlp_ratio=4, qkv_bias=True,
        drop_rate=0.0, attn_drop_rate=0.0, drop_path_rate=0.1,
        init_cfg=dict(type='Pretrained', checkpoint='pretrain/mit_b5.pth')),
    decode_head=dict(
        type='SegformerHead', in_channels=[64, 128, 320, 512], in_index=[0, 1, 2, 3],
        channels=256, dropout_ratio=0.1, num_classes=_classes, norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
