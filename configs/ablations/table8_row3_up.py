# Table 8, row 3 ("VL S. + Up"): similarity maps and the up-sampling blocks with skips;
# DECODER_ABLATIONS['VL S. + Up']. Paper mIoU: 74.1 (92 labels), 86.6 (1464).
_base_ = ['./table6_row4_lang_dec.py']
model = dict(decode_head=dict(spatial_reasoning=False, semantic_reasoning=False))
