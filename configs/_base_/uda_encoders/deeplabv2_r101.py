# ResNet-101 V1c + DeepLabV2 classifier (AdaptSegNet / ADVENT / DACS): output stride 8
# (dilations 2 and 4 in stages 3 and 4), BN trainable (DAFormer family), ImageNet weights.
# Two output levels: the classifier on stage 4 (main) and one on stage 3 (aux, loss x 0.1,
# AdaptSegNet's multi-level set-up). Dilations (6, 12) as the DAFormer-family code (ADVENT's
# own: (6, 12, 18, 24)). Leaf configs use `student` and `data_preprocessor`.
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
        type='ResNetV1c', depth=101, num_stages=4, out_indices=(0, 1, 2, 3),
        strides=(1, 2, 1, 1), dilations=(1, 1, 2, 4), norm_cfg=norm_cfg, norm_eval=False,
        contract_dilation=True,
        init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://resnet101_v1c')),
    decode_head=dict(
        type='DLV2Head', in_channels=2048, in_index=3, dilations=(6, 12),
        num_classes=_classes, align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    auxiliary_head=dict(
        type='DLV2Head', in_channels=1024, in_index=2, dilations=(6, 12),
        num_classes=_classes, align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.1)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
