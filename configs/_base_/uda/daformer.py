# DAFormer (Hoyer et al., CVPR 2022) = DACS + EMA alpha 0.999 + ImageNet feature
# distance (lambda 0.005 on thing classes, last encoder stage, frozen copy of the
# initial encoder) + rare-class sampling (the *_rcs data bases) + lr warm-up (the
# uda_40k schedule). Leaf configs with a Cityscapes target add the pseudo-label crop
# (top 15, bottom 120 rows).
_base_ = ['./dacs.py']
ema_alpha = 0.999
model = dict(feature_distance=dict(loss_weight=0.005, classes=(6, 7, 11, 12, 13, 14, 15, 16,
                                                               17, 18), min_ratio=0.75))
custom_hooks = [
    dict(type='ExactResumeHook'),
    dict(type='CheckpointCompatibilityHook'),
    # checkpoints that torch's weights_only loader reads (resume)
    dict(type='PlainCheckpointStateHook'),
    dict(type='EMATeacherHook', momentum=1 - ema_alpha, warm_up=True),
]
