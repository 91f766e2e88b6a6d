# EVA02-CLIP-L/14 with SemiVL's language-guided decoder and the Cityscapes class definitions
# (issue 21): the encoder of eva02-l14.py with the student changes of the switch
# _base_/uda_vl/lg_eva02-l14.py (what they are and why: there).
_base_ = ['./eva02-l14.py', '../../uda_vl/lg_eva02-l14.py']
student = _base_.vl_lg_student
