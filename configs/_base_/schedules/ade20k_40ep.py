# The ADE20K schedule of SemiVL (paper Sec. 4.1): AdamW (weight decay 0.01), base lr 4e-4,
# backbone lr x 0.001, decode head x 10, poly(0.9) decay to 0 without warm-up, 40 epochs
# over the unlabeled set (semi_epochs.py; e.g.
# 40 x ceil((20,210 - 158) / 8) = 100,280 iterations for the 158-label split).
_base_ = ['./semi_epochs.py']
lr = 4e-4
backbone_lr_mult = 0.001
val_interval = 8000  # also the checkpoint interval
optimizer = dict(lr=lr)
optim_wrapper = dict(
    optimizer=dict(lr=lr),
    paramwise_cfg=dict(custom_keys=dict(backbone=dict(lr_mult=backbone_lr_mult))))
train_cfg = dict(max_epochs=40, val_interval=val_interval)
default_hooks = dict(checkpoint=dict(interval=val_interval))
