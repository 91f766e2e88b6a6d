# Runtime shared by every config: MMSeg's defaults plus the plugin import, so that
# MMSeg's own tools (and mim) find our modules too.
custom_imports = dict(imports=['mmseg_semivl'], allow_failed_imports=False)
default_scope = 'mmseg'
env_cfg = dict(
    cudnn_benchmark=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # gloo is used automatically on CPU-only machines; a rank that stops answering ends
    # the job after `timeout` seconds instead of hanging it.
    dist_cfg=dict(backend='nccl', timeout=1800),
)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='SegLocalVisualizer', vis_backends=vis_backends, name='visualizer')
# skipped_steps (non-finite losses) is a growing count: its max over the run is its
# current value, where the default window mean would blur it.
log_processor = dict(
    by_epoch=False,
    custom_cfg=[dict(data_src='skipped_steps', method_name='max', window_size='global')])
# Exact resume (RNG states in checkpoints), strict checkpoint compatibility, and the
# class/crop consistency checks before training (docs/reliability.md).
# PlainCheckpointStateHook saves the message hub as tensors and plain data: torch >= 2.6
# loads checkpoints with weights_only=True, which refuses MMEngine's HistoryBuffer (its
# pickle references functions); without the hook, --resume of our checkpoints fails.
# A config that replaces custom_hooks must list it again (docs/compatibility.md).
# Every `interval` iterations, vis/iter_N.png shows image | ground truth | prediction |
# pseudo-label | dense CLIP guidance for a few fixed unlabeled images.
custom_hooks = [
    dict(type='ExactResumeHook'),
    dict(type='CheckpointCompatibilityHook'),
    dict(type='PlainCheckpointStateHook'),
    dict(type='SetupCheckHook'),
    dict(type='SemiVLVisualizationHook', interval=2000, num_images=4),
]
# Checkpoints: `default_hooks.checkpoint` (set by the schedules) is AtomicCheckpointHook:
# atomic writes, rotation only after the new file and `last_checkpoint` are complete,
# stale temporaries removed, argument typos rejected at build (docs/reliability.md).
log_level = 'INFO'
load_from = None
resume = False
tta_model = dict(type='SegTTAModel')
