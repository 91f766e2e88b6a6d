# Table 8, row 1 ("Joint Reasoning"): all class similarity maps enter the spatial
# reasoning together (N x 128 channels, no parameter sharing across classes);
# DECODER_ABLATIONS['Joint Reasoning']. Paper mIoU: 64.9 (92 labels), 86.3 (1464).
_base_ = ['./table6_row4_lang_dec.py']
model = dict(decode_head=dict(joint_reasoning=True))
