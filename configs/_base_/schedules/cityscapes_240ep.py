# The Cityscapes schedule of SemiVL (paper Sec. 4.1, facts file "Schedules"): AdamW
# (weight decay 0.01), base lr 5e-5, backbone lr x 0.1, decode head x 10, poly(0.9)
# decay to 0 without warm-up, 240 epochs of the 1/16 split (186 labels): 240 x
# ceil((2,975 - 186) unlabeled / 8 per step) = 83,760 iterations. Unlike VOC, COCO and
# ADE20K, the reference trains *every* Cityscapes split for these 83,760 iterations
# (experiments.py: `iters=83760` for all splits), so the per-split configs keep it.
_base_ = ['./adamw_poly.py']
lr = 5e-5
backbone_lr_mult = 0.1
max_iters = 83_760  # 240 x ceil((2,975 - 186) / 8) = 240 x 349, every split
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
