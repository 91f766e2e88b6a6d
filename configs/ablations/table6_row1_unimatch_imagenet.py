# Table 6, row 1 (no SemiVL component): UniMatch with an ImageNet-pretrained ViT-B/16
# and DeepLabv3+ on VOC. Paper mIoU: 77.9 (92 labels), 84.0 (1464 labels).
# Not reproducible as such: the reference loads timm's ImageNet `vit_base_patch16_224`
# (drop path 0.1), while CLIPVisionTransformer loads open_clip (CLIP) weights only and
# open_clip ships no ImageNet-supervised ViT. This config is therefore the UniMatch
# baseline with CLIP weights, i.e. the same run as row 2; it is kept so that every row
# of the table has a config. Everything else (UniMatch's consistency training,
# DeepLabv3+, full fine-tuning, backbone lr x 0.001) matches the paper's row.
_base_ = ['../unimatch/voc_92.py']
