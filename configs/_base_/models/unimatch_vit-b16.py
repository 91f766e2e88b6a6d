# UniMatch with a ViT-B/16 and DeepLabv3+: the "UniMatch (ViT)" baseline of the SemiVL
# paper (Tables 1-5, Table 6 rows 1-2). Same training step as SemiVL (weak/strong
# consistency, feature perturbation, CutMix) but without dense CLIP guidance, with
# MMSeg's DeepLabv3+ head on the ViT (DeepLabV3PlusViTHead: ASPP on the 512-d dense
# embedding at 1/16, low-level features from the input of block 4 brought to 1/4) and a
# fully fine-tuned encoder.
# The paper's baseline starts from ImageNet weights (timm vit_base_patch16_224, drop
# path 0.1); CLIPVisionTransformer loads open_clip CLIP weights only, so this baseline
# starts from CLIP ViT-B/16 - i.e. it is Table 6 row 2 ("VL pretraining" only). See
# configs/ablations/README.md.
_base_ = ['./unimatch_clip-vit-b16_common.py']
norm_cfg = dict(type='SyncBN', requires_grad=True)  # BN statistics over all GPUs
model = dict(
    backbone=dict(finetune='full', skip_blocks=(4, )),  # -> (skip of block 4, dense embedding)
    decode_head=dict(
        type='DeepLabV3PlusViTHead',
        in_channels=512,  # dense embedding (ASPP input)
        in_index=1,
        skip_in_channels=768,  # input of block 4 (low-level branch)
        c1_index=0,
        channels=256,
        c1_in_channels=256,
        c1_channels=48,
        dilations=(1, 6, 12, 18),
        num_classes=21,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0, avg_non_ignore=True)),
    guidance=None)
