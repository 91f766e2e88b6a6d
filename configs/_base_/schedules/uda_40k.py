# DAFormer's schedule: AdamW 6e-5, betas (0.9, 0.999), wd 0.01; head lr x10; no weight
# decay on norms and position blocks; linear warm-up over 1500 iterations from 1e-6 x lr,
# poly(1.0) to 0 over the whole 40k (mmcv's warm-up multiplies the poly value, so both
# schedulers run from iteration 0); batch 2 + 2 on one GPU; evaluation every 4000.
# Only the first matching custom key applies (longest first), as in mmcv: a backbone lr
# multiplier for CLIP/EVA is a longer key, e.g. 'backbone.trunk' (docs/deviations.md).
_base_ = ['./iter_based.py']
max_iters = 40000
warmup_iters = 1500
optimizer = dict(type='AdamW', lr=6e-05, betas=(0.9, 0.999), weight_decay=0.01)
optim_wrapper = dict(  # iter_based.py's wrapper (non-finite skip, trainable parameters)
    optimizer=optimizer,
    paramwise_cfg=dict(custom_keys={
        'head': dict(lr_mult=10.0),
        'pos_block': dict(decay_mult=0.0),
        'norm': dict(decay_mult=0.0),
    }))
# MMEngine's LinearLR / PolyLR divide by (end - begin - 1); end = N + 1 gives mmcv's
# t / N exactly (tests/test_configs/test_uda_configs.py compares the values).
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=warmup_iters + 1),
    dict(type='PolyLR', eta_min=0.0, power=1.0, by_epoch=False, begin=0, end=max_iters + 1),
]
# The last checkpoint only (no best-mIoU copy).
default_hooks = dict(checkpoint=dict(max_keep_ckpts=1, save_best=None, rule=None))
