# SemiVL on Cityscapes (19 classes, paper Table 5), shared by
# configs/semivl/cityscapes_*.py: 801 crops (padded to 816 for the patch grid), sliding
# window 801 / stride 534 on the full images, 83,760 iterations of AdamW at lr 5e-5
# (backbone x 0.1); dense CLIP guidance with the Cityscapes class definitions (54
# concepts, max over concepts).
# Decoder text: the reference embeds each class as the *mean* of its concept embeddings
# on Cityscapes (experiments.py: text_embedding_variant='conceptavg3_single'), not the
# bare name as on the other datasets; `aggregation='mean'` does the same.
# Decoder skips as in the reference's Cityscapes model (vlm-vlg-aspp-s2p4-skr04-ftap-mcvitb):
# the ViT gives one skip (input of block 4, 768 -> 32, first up-block); the last up-block
# fuses the stem + first stage of an ImageNet ResNet-101 V1c at 1/4 resolution (256 -> 32),
# trained fully at the backbone lr (x 0.1, the reference's conv_enc_lr_mult).
# Consistency loss: each image's CE weighted by its mean pseudo-label confidence, no 0.95
# mask (the reference's conf_mode='pixelavg' on Cityscapes). See docs/deviations.md.
_base_ = [
    '../default_runtime.py', '../models/semivl_vit-b16.py', '../schedules/cityscapes_240ep.py'
]
# The training crop of datasets/cityscapes_semi.py (a leaf's split base brings that file;
# MMEngine allows a variable in one base only, hence its own name here).
cityscapes_crop = (801, 801)
model = dict(
    # 801 is not a multiple of 16: pad batches to the next multiple (816) instead of a
    # fixed size; padding is marked invalid, and the backbone resizes its positional
    # embedding on the fly to the 51 x 51 token grid.
    data_preprocessor=dict(size=None, size_divisor=16),
    backbone=dict(
        type='CLIPWithConvSkip',
        img_size=cityscapes_crop,
        skip_blocks=(4, ),
        # conv_stem: the backbone's default, the reference's ResNet-101 V1c stem + first
        # stage (SyncBN, ImageNet weights; clip_conv_skip.RESNET101_V1C_STEM).
    ),
    decode_head=dict(
        num_classes=19,
        text_embeddings=dict(class_definitions='cityscapes', aggregation='mean'),
        # (conv 1/4, ViT block 4, dense): both skips projected to 32 channels.
        in_channels=(256, 768, 512),
        skip_channels=(32, 32)),
    loss_consistency=dict(conf_mode='pixelavg'),
    guidance=dict(class_definitions='cityscapes', aggregation='max', img_size=cityscapes_crop),
    test_cfg=dict(mode='slide', crop_size=cityscapes_crop, stride=(534, 534)))
