# Table 7, row 5: spatial fine-tuning (29.1 M parameters, backbone lr x 0.01).
# Paper mIoU: 81.7 (92 labels), 86.7 (1464). = Table 6 row 3.
_base_ = ['./table6_row3_sft.py']
