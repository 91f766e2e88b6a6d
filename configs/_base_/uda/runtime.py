# Runtime of every UDA method base (self-training and adversarial): the shared runtime
# plus mmseg_semivl.evaluation, where UDAIoUMetric and MultiDomainValLoop live (the UDA
# dataset bases evaluate with them; `import mmseg_semivl` does not load it).
_base_ = ['../default_runtime.py']
custom_imports = dict(imports=['mmseg_semivl', 'mmseg_semivl.evaluation'],
                      allow_failed_imports=False)
