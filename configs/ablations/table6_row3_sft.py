# Table 6, row 3 ("+ SFT"): row 2 with spatial fine-tuning (attention layers and
# positional embedding trained, 29.1 M parameters) and backbone lr x 0.01, as the
# reference. Paper mIoU: 81.7 (92 labels), 86.7 (1464). = Table 7 "Spatial Fine-Tuning".
_base_ = ['../unimatch/voc_92.py']
model = dict(backbone=dict(finetune='spatial'))
optim_wrapper = dict(paramwise_cfg=dict(custom_keys=dict(backbone=dict(lr_mult=0.01))))
