# Table 6, row 4 ("+ Lang.Dec."): spatial fine-tuning and the language-guided decoder,
# without dense CLIP guidance. Paper mIoU: 82.7 (92 labels), 87.3 (1464).
# = Table 8 "VL S. + Up + Spatial + Semantic".
_base_ = ['../semivl/voc_92.py']
model = dict(guidance=None)
