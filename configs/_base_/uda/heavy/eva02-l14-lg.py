# DUDA's heavyweight network as a vision-language model (issue 21): EVA02-CLIP-L/14 with
# SemiVL's language-guided decoder and the Cityscapes class definitions
# (encoders/eva02-l14-lg.py, activation checkpointing on), under its own name.
_base_ = ['../encoders/eva02-l14-lg.py']
heavy_student = _base_.student
# Export `heavy_student` only (why: heavy/mitb5.py); a leaf takes the input normalisation
# from its light encoder base or sets it itself.
_base_.clear()
