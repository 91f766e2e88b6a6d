# Table 9, row 5 ("Guidel. (Avg)"): the guideline concepts of each class averaged into
# one text embedding (aggregation='mean'). Paper mIoU: 83.4 (92 labels).
_base_ = ['../semivl/voc_92.py']
model = dict(guidance=dict(class_definitions='voc', aggregation='mean'))
