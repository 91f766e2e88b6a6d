# CLIP ViT-B/16 with SemiVL's language-guided decoder and the Cityscapes class definitions
# (issue 21): the encoder of clip-vitb16.py with the student changes of the switch
# _base_/uda_vl/lg_clip-vitb16.py (what they are and why: there).
_base_ = ['./clip-vitb16.py', '../../uda_vl/lg_clip-vitb16.py']
student = _base_.vl_lg_student
