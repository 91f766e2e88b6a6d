# The Cityscapes schedule of SemiVL (paper Sec. 4.1, facts file "Schedules"): AdamW
# (weight decay 0.01), base lr 5e-5, backbone lr x 0.1, decode head x 10, poly(0.9)
# decay to 0 without warm-up, 240 epochs. An epoch is one pass over the unlabeled set
# with the total unlabeled batch of 8, so per-split configs set `max_iters` (the facts
# file's 83,760 = 240 epochs of the 1/16 split). The reference trains *every* split
# 83,760 iterations (experiments.py: `iters=83760`); we follow the paper's epochs
# (docs/deviations.md) - set max_iters=83760 for the reference's length.
_base_ = ['./adamw_poly.py']
lr = 5e-5
backbone_lr_mult = 0.1
max_iters = 83_760  # the 1/16 split: 240 x ceil((2,975 - 186) / 8) = 240 x 349
val_interval = 4000  # also the checkpoint interval

optimizer = dict(lr=lr)
optim_wrapper = dict(
    optimizer=dict(lr=lr),
    paramwise_cfg=dict(custom_keys=dict(backbone=dict(lr_mult=backbone_lr_mult))))
param_scheduler = [
    dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=max_iters, by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=val_interval)
default_hooks = dict(checkpoint=dict(interval=val_interval))
