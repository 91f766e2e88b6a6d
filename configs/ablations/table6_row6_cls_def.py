# Table 6, row 6 ("+ Cls.Def."): full SemiVL - dense CLIP guidance with the class
# definitions (VOC guideline concepts, max over concepts). Paper mIoU: 84.0 (92 labels),
# 87.3 (1464). = configs/semivl/voc_92.py, Table 9 "Ours".
_base_ = ['../semivl/voc_92.py']
