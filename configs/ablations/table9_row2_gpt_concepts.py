# Table 9, row 2 ("GPT Concepts (Max)"): dense CLIP guidance with 5 GPT-3.5 concepts per
# class (paper Table S5), max over concepts. Paper mIoU: 82.9 (92 labels).
# Row 1 ("Dictionary Def. (Text)", 82.7) has no config: the Oxford Languages definitions
# are not shipped (see README.md).
_base_ = ['../semivl/voc_92.py']
model = dict(guidance=dict(class_definitions='voc_gpt', aggregation='max'))
