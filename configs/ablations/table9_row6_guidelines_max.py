# Table 9, row 6 ("Ours: Guidel. (Max)"): the guideline concepts, max over the concepts
# of each class (Eq. 5). Paper mIoU: 84.0 (92 labels). = configs/semivl/voc_92.py.
_base_ = ['../semivl/voc_92.py']
