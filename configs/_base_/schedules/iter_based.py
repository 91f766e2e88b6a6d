# The iteration-based run every schedule shares (SemiVL's adamw_poly.py, the UDA families'
# uda_40k.py and uda_adversarial_sgd_40k.py): train / val / test loops, evaluation and
# checkpoints every `val_interval` iterations, MMSeg's default hooks. Checkpoints are
# crash-safe: atomic writes, old files removed only after the new one is complete and
# `last_checkpoint` names it (docs/reliability.md); the best mIoU and the last two are
# kept. The schedules set the optimizers, lr schedules and lengths (and restate
# `train_cfg` when they change `max_iters`); a single-optimizer schedule (adamw_poly.py,
# uda_40k.py) adds its optimizer and paramwise_cfg to the wrapper below.
max_iters = 40000
val_interval = 4000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=val_interval)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='AtomicCheckpointHook', by_epoch=False, interval=val_interval,
                    max_keep_ckpts=2, save_last=True, save_best='mIoU', rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
# One optimizer over the parameters that require grad (frozen ones, e.g. a frozen CLIP
# tower, sit in no group). A non-finite loss skips its step (counted as skipped_steps)
# instead of corrupting the weights; on_non_finite='raise' stops the run instead.
optim_wrapper = dict(type='NonFiniteSkipOptimWrapper',
                     constructor='TrainableParamsOptimWrapperConstructor')
