# Table 8, row 4 ("VL S. + Up + Spatial"): adds the spatial reasoning (7x7 conv and
# residual ASPP); DECODER_ABLATIONS['VL S. + Up + Spatial'].
# Paper mIoU: 80.3 (92 labels), 86.9 (1464).
_base_ = ['./table6_row4_lang_dec.py']
model = dict(decode_head=dict(semantic_reasoning=False))
