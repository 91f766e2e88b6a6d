# DACS (self-training UDA; Tranheden et al., WACV 2021, as in DAFormer's dacs.py):
# EMA teacher alpha 0.99 (warm start alpha_t = min(1 - 1/(t+1), alpha)), pseudo-label
# weight = share of target pixels with confidence >= 0.968 (one scalar per batch),
# ClassMix of half of each source image's classes into the target (images, labels,
# weights), colour jitter 0.2 (applied when U > 0.2) and blur (U > 0.5) on the mixed
# images. Leaf configs add the student (an encoder base) and the data pair.
_base_ = ['./runtime.py']
ema_alpha = 0.99
model = dict(
    type='DACS',
    teacher='ema',
    mixer=dict(type='ClassMixMasker', classes_from='sample', ignore_index=255),
    pseudo_threshold=0.968,
    pseudo_weight_ignore_top=0,
    pseudo_weight_ignore_bottom=0,
    strong_transform=dict(type='DACSStrongTransform', color_jitter_strength=0.2,
                          color_jitter_prob=0.2, blur=True),
    # feature_distance (DAFormer) and mic (MIC) are off unless a base or leaf sets them
    semi_test_cfg=dict(predict_on='student'))
custom_hooks = [
    dict(type='ExactResumeHook'),
    dict(type='CheckpointCompatibilityHook'),
    # checkpoints that torch's weights_only loader reads (resume)
    dict(type='PlainCheckpointStateHook'),
    # momentum = 1 - alpha; warm_up gives alpha_t = min(1 - 1/(t+1), alpha)
    dict(type='EMATeacherHook', momentum=1 - ema_alpha, warm_up=True),
]
