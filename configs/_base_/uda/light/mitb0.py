# DUDA's lightweight student MiT-B0 (SegFormer's ImageNet weights) + DAFormer head, under
# its own name (`light_student`) so that a leaf can compose it with a heavy encoder base.
mit_b0_checkpoint = ('https://download.openmmlab.com/mmsegmentation/v0.5/pretrain/segformer/'
                     'mit_b0_20220624-7e0fe6dd.pth')
light_student = dict(
    type='HeadSyncedEncoderDecoder',
    backbone=dict(type='MixVisionTransformer', in_channels=3, embed_dims=32, num_stages=4,
                  num_layers=[2, 2, 2, 2], num_heads=[1, 2, 5, 8], patch_sizes=[7, 3, 3, 3],
                  sr_ratios=[8, 4, 2, 1], out_indices=(0, 1, 2, 3), mlp_ratio=4,
                  qkv_bias=True, drop_rate=0.0, attn_drop_rate=0.0, drop_path_rate=0.1,
                  init_cfg=dict(type='Pretrained', checkpoint=mit_b0_checkpoint)),
    decode_head=dict(type='DAFormerHead', in_channels=[32, 64, 160, 256],
                     in_index=[0, 1, 2, 3], channels=256, embed_dims=256,
                     dilations=(1, 6, 12, 18), separable=True, dropout_ratio=0.1,
                     num_classes=19, norm_cfg=dict(type='BN', requires_grad=True),
                     align_corners=False,
                     loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False,
                                      loss_weight=1.0)),
    test_cfg=dict(mode='whole'))
