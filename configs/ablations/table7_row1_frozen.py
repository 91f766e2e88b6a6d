# Table 7, row 1: frozen CLIP encoder (0 trained encoder parameters) with UniMatch and
# DeepLabv3+. Paper mIoU: 75.9 (92 labels), 81.7 (1464).
_base_ = ['./table6_row3_sft.py']
model = dict(backbone=dict(finetune='frozen'))
