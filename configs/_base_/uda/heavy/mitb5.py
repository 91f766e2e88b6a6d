# DUDA's heavyweight network MiT-B5 + DAFormer head (encoders/mitb5.py) with activation
# checkpointing, under its own name (`heavy_student`); the leaf sets model.heavy to it.
_base_ = ['../encoders/mitb5.py']
heavy_student = dict(_base_.student, backbone=dict(_base_.student.backbone, with_cp=True))
