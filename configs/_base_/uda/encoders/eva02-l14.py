# EVA02-CLIP-L/14 (open_clip 'EVA02-L-14' / 'merged2b_s4b_b131k'; timm EVA trunk: 24
# blocks, width 1024, patch 14, RoPE; 512 crops padded to 518 on the fly), blocks
# 7, 11, 15, 23 into a BEiT-style pyramid (MMSeg's Feature2Pyramid: ConvT x4, ConvT x2,
# identity, max-pool) and the DAFormer head. Activation checkpointing on (24 GB target).
_base_ = ['../data_preprocessor.py', '../../clip_normalization.py']
norm_cfg = dict(type='BN', requires_grad=True)
data_preprocessor = dict(mean=_base_.clip_mean, std=_base_.clip_std)
student = dict(
    type='HeadSyncedEncoderDecoder',
    backbone=dict(type='OpenCLIPEVA', model_name='EVA02-L-14', pretrained='merged2b_s4b_b131k',
                  out_indices=(7, 11, 15, 23), finetune='full', grad_checkpointing=True),
    neck=dict(type='Feature2Pyramid', embed_dim=1024, rescales=[4, 2, 1, 0.5],
              norm_cfg=norm_cfg),
    decode_head=dict(type='DAFormerHead', in_channels=[1024, 1024, 1024, 1024],
                     num_classes=19),
    test_cfg=dict(mode='whole'))
