# Table 8, row 5 ("VL S. + Up + Spatial + Semantic"): the full language-guided decoder.
# Paper mIoU: 82.7 (92 labels), 87.3 (1464). = Table 6 row 4.
_base_ = ['./table6_row4_lang_dec.py']
