# Table 9, row 3 ("Class Name"): dense CLIP guidance with the class names.
# Paper mIoU: 83.2 (92 labels). = Table 6 row 5.
_base_ = ['./table6_row5_clip_guidance.py']
