# The ADE20K schedule of SemiVL (paper Sec. 4.1, facts file "Schedules"): AdamW
# (weight decay 0.01), base lr 4e-4, backbone lr x 0.001, decode head x 10, poly(0.9)
# decay to 0 without warm-up, 40 epochs. An epoch is one pass over the unlabeled set
# with the total unlabeled batch of 8 (UniMatch / SemiVL), so the length in iterations
# depends on the split: per-split configs set `max_iters` and the scheduler end.
_base_ = ['./adamw_poly.py']
lr = 4e-4
backbone_lr_mult = 0.001
max_iters = 100_280  # lowest-label split: 40 x ceil((20,210 - 158) / 8)
val_interval = 8000  # also the checkpoint interval

optimizer = dict(lr=lr)
optim_wrapper = dict(
    optimizer=dict(lr=lr),
    paramwise_cfg=dict(custom_keys=dict(backbone=dict(lr_mult=backbone_lr_mult))))
param_scheduler = [
    dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=max_iters, by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=val_interval)
default_hooks = dict(checkpoint=dict(interval=val_interval))
