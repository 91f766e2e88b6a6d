# CLIP ViT-B/16 (our CLIPVisionTransformer, OpenAI weights, full fine-tuning): MaskCLIP
# value-path features of blocks 3, 5, 7 and the dense 512-d output, made a four-scale
# pyramid (x4, x2, x1, x0.5) by MMSeg's MultiLevelNeck, into the DAFormer head.
_base_ = ['../data_preprocessor.py', '../../clip_normalization.py']
data_preprocessor = dict(mean=_base_.clip_mean, std=_base_.clip_std)
student = dict(
    type='HeadSyncedEncoderDecoder',
    backbone=dict(type='CLIPVisionTransformer', model_name='ViT-B-16', pretrained='openai',
                  img_size=512, skip_blocks=(3, 5, 7), finetune='full'),
    neck=dict(type='MultiLevelNeck', in_channels=[768, 768, 768, 512], out_channels=256,
              scales=[4, 2, 1, 0.5]),
    decode_head=dict(type='DAFormerHead', in_channels=[256, 256, 256, 256], num_classes=19),
    test_cfg=dict(mode='whole'))
