# EVA02-CLIP-L-14 (open_clip 'EVA02-L-14', tag merged2b_s4b_b131k; vision tower = timm's
# eva02_large_patch14_clip_224, 303 M parameters) fully fine-tuned: outputs of blocks
# (7, 11, 15, 23) at 1/14, BEiT-style four-scale neck (MMSeg's Feature2Pyramid: x4, x2, x1,
# x0.5), all-MLP decoder (docs/deviations.md: seed 001 names DAFormer's ASPP head and gives
# no block choice). One output level.
_classes = 19  # the 19 Cityscapes classes of every UDA dataset pair
norm_cfg = dict(type='BN', requires_grad=True)
data_preprocessor = dict(
    type='SemiSegDataPreProcessor',
    mean=[122.771, 116.746, 104.094],  # CLIP's normalisation (EVA02-CLIP's own)
    std=[68.501, 66.632, 70.323],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=(512, 512))
student = dict(
    type='HeadSyncedEncoderDecoder',
    backbone=dict(type='OpenCLIPEVA', model_name='EVA02-L-14',
                  pretrained='merged2b_s4b_b131k', out_indices=(7, 11, 15, 23),
                  drop_path_rate=0.1),
    neck=dict(type='Feature2Pyramid', embed_dim=1024, rescales=[4, 2, 1, 0.5],
              norm_cfg=norm_cfg),
    decode_head=dict(
        type='SegformerHead', in_channels=[1024] * 4, in_index=[0, 1, 2, 3], channels=256,
        dropout_ratio=0.1, num_classes=_classes, norm_cfg=norm_cfg, align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
