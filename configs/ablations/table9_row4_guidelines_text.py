# Table 9, row 4 ("Guidelines (Text)"): dense CLIP guidance with the raw text of the VOC
# annotation guidelines, one text per class (paper Table S4). Paper mIoU: 83.4 (92 labels).
_base_ = ['../semivl/voc_92.py']
model = dict(guidance=dict(class_definitions='voc_guidelines', aggregation='max'))
