# Table 6, row 2 ("VL Pretr."): UniMatch with CLIP ViT-B/16 weights, full fine-tuning
# (backbone lr x 0.001) and DeepLabv3+. Paper mIoU: 80.6 (92 labels), 86.0 (1464).
# Same as configs/unimatch/voc_92.py and Table 7 "Full Fine-Tuning".
_base_ = ['../unimatch/voc_92.py']
