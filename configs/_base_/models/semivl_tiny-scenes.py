# SemiVL on the tiny CLIP pretrained on generated scenes ('mmseg_semivl:tiny-scenes',
# tools/pretrain_tiny_clip.py): the ViT-B/16 model with the tiny architecture swapped in.
# 3 ViT blocks of width 96, patch 8 -> skips of blocks 0 and 1 at 1/8, dense 96-d output.
_base_ = ['./semivl_vit-b16.py']
clip_model = 'semivl-tiny-scenes'
clip_pretrained = 'mmseg_semivl:tiny-scenes'
# = mmseg_semivl.models.backbones.TINY_SCENES_CLIP_CFG (a test keeps the two equal).
clip_cfg = dict(
    embed_dim=96,
    vision_cfg=dict(image_size=64, layers=3, width=96, head_width=32, patch_size=8),
    text_cfg=dict(context_length=32, vocab_size=49408, width=96, heads=3, layers=2))
clip = dict(model_name=clip_model, model_cfg=clip_cfg, pretrained=clip_pretrained)
model = dict(
    data_preprocessor=dict(size=(96, 96)),
    backbone=dict(**clip, img_size=96, skip_blocks=(0, 1)),
    decode_head=dict(
        in_channels=(96, 96, 96),
        text_channels=96,
        # A narrower decoder for a 12 x 12 token grid: 32 channels per class map
        # (skip and up-block widths follow), 64-wide class attention.
        channels=32,
        text_proj_channels=32,
        feedforward_channels=128,
        aspp_dilations=(1, 2, 3, 4),
        text_embeddings=dict(**clip)),
    guidance=dict(**clip, img_size=96),
    # The tiny CLIP's own logit scale (recorded in the shipped weights' metadata),
    # not the 100 of OpenAI's CLIP, at which 95 % of pixels pass zeta = 0.9 (docs/learning.md).
    guidance_temperature=18.4,
    test_cfg=dict(mode='whole'))
