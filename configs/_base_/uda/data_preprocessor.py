# The UDA students' input preprocessing, one for every encoder base (encoders/*.py): RGB,
# ImageNet statistics (0-255, MMSeg's), batches padded to the 512 training crop (images
# with 0, labels with 255). The CLIP encoders set CLIP's statistics over it
# (../clip_normalization.py).
data_preprocessor = dict(
    type='SemiSegDataPreProcessor', mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_val=0, seg_pad_val=255, size=(512, 512))
