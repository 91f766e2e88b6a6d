# DUDA's heavyweight network MiT-B5 + DAFormer head (encoders/mitb5.py) with activation
# checkpointing, under its own name (`heavy_student`); the leaf sets model.heavy to it.
_base_ = ['../encoders/mitb5.py']
heavy_student = dict(_base_.student, backbone=dict(_base_.student.backbone, with_cp=True))
# Export `heavy_student` only. MMEngine runs this file with `_base_` bound to the merged
# ConfigDict of its bases and merges that same object into the result; emptied, it adds
# nothing, so a DUDA leaf can also inherit a light encoder base (encoders/*.py: `student`,
# `data_preprocessor`) without a key defined in two bases, which MMEngine refuses.
_base_.clear()
