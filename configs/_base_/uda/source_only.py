# Source-only baseline: the student trained on the source stream alone (the target
# images of the UDA batch are loaded but unused), same batch, schedule and evaluation.
_base_ = ['./runtime.py']
model = dict(type='SourceOnlySegmentor')
# PlainCheckpointStateHook: checkpoints that torch's weights_only loader reads (resume).
custom_hooks = [dict(type='ExactResumeHook'), dict(type='CheckpointCompatibilityHook'),
                dict(type='PlainCheckpointStateHook')]
