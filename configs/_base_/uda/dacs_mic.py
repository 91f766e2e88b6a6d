# MIC (Hoyer et al., CVPR 2023) on dacs: a block-masked target view (block 32 at 512 px
# crops, 64 at 1024; mask ratio 0.7; the method's colour augmentation first) learns the
# host method's pseudo-labels and weights, lambda 1 ('unsup.loss_mic').
_base_ = ['./dacs.py']
model = dict(mic=dict(block_size=32, mask_ratio=0.7, loss_weight=1.0, color_augment=True))
