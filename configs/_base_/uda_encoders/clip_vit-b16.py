# CLIP ViT-B/16 (OpenAI weights through open_clip) as a UDA encoder, fully fine-tuned:
# block inputs of blocks 3, 5 and 7 (width 768) and the dense MaskCLIP embedding (512),
# all at 1/16, rescaled to 1/4 ... 1/32 by MMSeg's MultiLevelNeck (256 channels), then the
# all-MLP decoder (docs/deviations.md: seed 001 names DAFormer's ASPP head). One level.
_classes = 19  # the 19 Cityscapes classes of every UDA dataset pair
norm_cfg = dict(type='BN', requires_grad=True)
clip_model = 'ViT-B-16'
clip_pretrained = 'openai'
data_preprocessor = dict(
    type='SemiSegDataPreProcessor',
    mean=[122.771, 116.746, 104.094],  # CLIP's normalisation
    std=[68.501, 66.632, 70.323],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=(512, 512))
student = dict(
    type='HeadSyncedEncoderDecoder',
    backbone=dict(type='CLIPVisionTransformer', model_name=clip_model, pretrained=clip_pretrained,
                  img_size=512, finetune='full', skip_blocks=(3, 5, 7)),
    neck=dict(type='MultiLevelNeck', in_channels=[768, 768, 768, 512], out_channels=256,
              scales=[4, 2, 1, 0.5]),
    decode_head=dict(
        type='SegformerHead', in_channels=[256] * 4, in_index=[0, 1, 2, 3], channels=256,
        dropout_ratio=0.1, num_classes=_classes, norm_cfg=norm_cfg, align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
