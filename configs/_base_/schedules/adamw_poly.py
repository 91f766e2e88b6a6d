# SemiVL's optimisation (paper Sec. 4.1): AdamW, weight decay 0.01, poly(0.9) decay
# without warm-up, backbone lr multiplier per dataset, x10 for the decoder head (as in
# the reference implementation). Dataset configs set `lr`, the backbone multiplier and
# `max_iters`. Loops, hooks and the optim-wrapper type: iter_based.py.
_base_ = ['./iter_based.py']
max_iters = 80000
optimizer = dict(type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.01)
optim_wrapper = dict(  # iter_based.py's wrapper (non-finite skip, trainable parameters)
    optimizer=optimizer,
    paramwise_cfg=dict(custom_keys={
        'backbone': dict(lr_mult=0.01),
        'decode_head': dict(lr_mult=10.0),
    }))
# No `end`: MMEngine's runner ends a scheduler without one where the train loop ends, so
# a config that changes `train_cfg.max_iters` (or SourceEpochTrainLoop's epochs) needs
# no second edit here.
param_scheduler = [dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, by_epoch=False)]
train_cfg = dict(max_iters=max_iters)
