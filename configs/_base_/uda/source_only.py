# Source-only baseline: the student trained on the source stream alone (the target
# images of the UDA batch are loaded but unused), same batch, schedule and evaluation.
_base_ = ['../default_runtime.py']
# UDAIoUMetric and MultiDomainValLoop live in mmseg_semivl.evaluation, which
# `import mmseg_semivl` does not load.
custom_imports = dict(imports=['mmseg_semivl', 'mmseg_semivl.evaluation'],
                      allow_failed_imports=False)
model = dict(type='SourceOnlySegmentor')
custom_hooks = [dict(type='ExactResumeHook'), dict(type='CheckpointCompatibilityHook')]
