# Table 7, row 3: LoRA (rank 8 on W_q, W_k, W_v, W_o, plus the positional embedding;
# 1.4 M parameters). Paper mIoU: 80.5 (92 labels), 85.8 (1464).
# The paper tunes the backbone lr per strategy without giving the values; x 1 (lr 1e-4)
# is our choice for the small, zero-initialised LoRA residuals.
_base_ = ['./table6_row3_sft.py']
model = dict(backbone=dict(finetune='lora'))
optim_wrapper = dict(paramwise_cfg=dict(custom_keys=dict(backbone=dict(lr_mult=1.0))))
