# ADVENT (AdvEnt) as published (45.5 mIoU GTA5 -> Cityscapes, R101 DeepLabV2): the originals'
# schedule (segmentor SGD 2.5e-4, poly 0.9 over 250k, stopped at 120k; discriminators Adam
# 1e-4), ADVENT's classifier dilations (6, 12, 18, 24), one source + one target per step.
_base_ = [
    '../_base_/uda/advent.py', '../_base_/uda/encoders/r101-multilevel.py',
    '../_base_/datasets/uda_gta_to_cityscapes.py',
    '../_base_/schedules/uda_adversarial_sgd_original.py'
]
_dilations = (6, 12, 18, 24)
model = dict(student=_base_.student, data_preprocessor=_base_.data_preprocessor)
model['student']['decode_head']['dilations'] = _dilations
model['student']['auxiliary_head']['dilations'] = _dilations
samples_per_gpu = 2
train_dataloader = dict(batch_size=samples_per_gpu,
                        sampler=dict(batch_size=samples_per_gpu, source_ratio=(1, 1)))
