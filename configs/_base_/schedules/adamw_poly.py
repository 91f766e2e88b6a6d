# SemiVL's optimisation (paper Sec. 4.1): AdamW, weight decay 0.01, poly(0.9) decay
# without warm-up, backbone lr multiplier per dataset, x10 for the decoder head (as in
# the reference implementation). Dataset configs set `lr`, the backbone multiplier and
# `max_iters`.
max_iters = 80000
val_interval = 4000
optimizer = dict(type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.01)
optim_wrapper = dict(
    # A non-finite loss skips its step (counted as skipped_steps) instead of corrupting
    # the weights; on_non_finite='raise' stops the run instead.
    type='NonFiniteSkipOptimWrapper',
    optimizer=optimizer,
    constructor='TrainableParamsOptimWrapperConstructor',
    paramwise_cfg=dict(custom_keys={
        'backbone': dict(lr_mult=0.01),
        'decode_head': dict(lr_mult=10.0),
    }))
param_scheduler = [
    dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=max_iters, by_epoch=False)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=val_interval)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        # Crash-safe: atomic writes, old files removed only after the new one is
        # complete and `last_checkpoint` names it (docs/reliability.md).
        type='AtomicCheckpointHook', by_epoch=False, interval=val_interval, max_keep_ckpts=2,
        save_last=True, save_best='mIoU', rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
