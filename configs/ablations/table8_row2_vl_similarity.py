# Table 8, row 2 ("VL Similarity"): logits from the per-class similarity maps without
# spatial reasoning, semantic reasoning or up-sampling; DECODER_ABLATIONS['VL Similarity'].
# Paper mIoU: 68.6 (92 labels), 84.5 (1464).
_base_ = ['./table6_row4_lang_dec.py']
model = dict(
    decode_head=dict(spatial_reasoning=False, semantic_reasoning=False, upsampling=False))
