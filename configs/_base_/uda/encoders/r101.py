# ResNet-101 V1c (MMSeg's ImageNet weights), output stride 8, BN trainable, with the
# DeepLabV2 head (sum of dilated 3x3 convs at 6 and 12, DAFormer-family UDA).
_base_ = ['../data_preprocessor.py']
norm_cfg = dict(type='BN', requires_grad=True)
student = dict(
    type='HeadSyncedEncoderDecoder',
    pretrained='open-mmlab://resnet101_v1c',
    backbone=dict(type='ResNetV1c', depth=101, num_stages=4, out_indices=(0, 1, 2, 3),
                  dilations=(1, 1, 2, 4), strides=(1, 2, 1, 1), norm_cfg=norm_cfg,
                  norm_eval=False, style='pytorch', contract_dilation=True),
    decode_head=dict(type='DLV2Head', in_channels=2048, in_index=3, dilations=(6, 12),
                     num_classes=19, align_corners=False,
                     init_cfg=dict(type='Normal', std=0.01, override=dict(name='aspp_modules')),
                     loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False,
                                      loss_weight=1.0)),
    test_cfg=dict(mode='whole'))
