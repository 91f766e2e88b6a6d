# Table 6, row 1 (no SemiVL component): UniMatch with an ImageNet-pretrained ViT-B/16
# and DeepLabv3+ on VOC. Paper mIoU: 77.9 (92 labels), 84.0 (1464 labels).
# The encoder is MMSeg's VisionTransformer with the reference's ImageNet weights (timm
# `vit_base_patch16_224`, drop path 0.1). Get them once on a connected machine and
# convert them with MMSeg's converter:
#   python tools/model_converters/vit2mmseg.py <timm vit_base_patch16_224 .pth> \
#       pretrain/vit_base_patch16_224.pth            (MMSeg repository tool)
# Everything else is the UniMatch (ViT) baseline of configs/unimatch/voc_92.py:
# consistency training, feature perturbation, DeepLabv3+, full fine-tuning, backbone
# lr x 0.001 on top of lr 1e-4 - with ImageNet's normalisation for ImageNet weights.
_base_ = ['../unimatch/voc_92.py']
model = dict(
    data_preprocessor=dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]),
    backbone=dict(
        _delete_=True,
        type='VisionTransformer',
        img_size=(512, 512),
        patch_size=16,
        embed_dims=768,
        num_layers=12,
        num_heads=12,
        mlp_ratio=4,
        qkv_bias=True,
        drop_path_rate=0.1,
        with_cls_token=True,
        final_norm=True,
        interpolate_mode='bicubic',
        # Outputs of blocks 3 and 11: the input of block 4 (low-level branch, as the
        # CLIP baseline's skip) and the last block (ASPP input).
        out_indices=(3, 11),
        init_cfg=dict(type='Pretrained', checkpoint='pretrain/vit_base_patch16_224.pth')),
    decode_head=dict(in_channels=768, in_index=1, skip_in_channels=768, c1_index=0))
