# The Pascal VOC schedule of SemiVL (paper Sec. 4.1): AdamW (weight decay 0.01), base lr 1e-4,
# backbone lr x 0.01, decode head x 10, poly(0.9) decay to 0 without warm-up, 80 epochs
# over the unlabeled set (semi_epochs.py; e.g.
# 80 x ceil((10,582 - 92) / 8) = 104,960 iterations for the 92-label split).
_base_ = ['./semi_epochs.py']
lr = 1e-4
backbone_lr_mult = 0.01
val_interval = 8000  # also the checkpoint interval
optimizer = dict(lr=lr)
optim_wrapper = dict(
    optimizer=dict(lr=lr),
    paramwise_cfg=dict(custom_keys=dict(backbone=dict(lr_mult=backbone_lr_mult))))
train_cfg = dict(max_epochs=80, val_interval=val_interval)
default_hooks = dict(checkpoint=dict(interval=val_interval))
