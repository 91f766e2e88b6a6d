# Table 6, row 5 ("+ CLIP Guid."): row 4 plus dense CLIP guidance with the plain class
# names as text. Paper mIoU: 83.2 (92 labels), 87.4 (1464). = Table 9 "Class Name".
_base_ = ['../semivl/voc_92.py']
model = dict(guidance=dict(class_definitions='voc_names', aggregation='max'))
