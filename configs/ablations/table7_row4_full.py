# Table 7, row 4: full fine-tuning (86.8 M parameters, backbone lr x 0.001).
# Paper mIoU: 80.6 (92 labels), 86.0 (1464). = Table 6 row 2.
_base_ = ['./table6_row2_vl_pretraining.py']
