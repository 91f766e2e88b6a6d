# SemiVL on Cityscapes (19 classes, paper Table 5), shared by
# configs/semivl/cityscapes_*.py: 801 crops (padded to 816 for the patch grid), sliding
# window 801 / stride 534 on the full images, 83,760 iterations of AdamW at lr 5e-5
# (backbone x 0.1); dense CLIP guidance with the Cityscapes class definitions (54
# concepts, max over concepts).
# Decoder text: the reference embeds each class as the *mean* of its concept embeddings
# on Cityscapes (experiments.py: text_embedding_variant='conceptavg3_single'), not the
# bare name as on the other datasets; `aggregation='mean'` does the same.
# Not reproduced here (no such option in the package yet): the reference's Cityscapes
# decoder takes its second skip from a ResNet stem + first stage at 1/4 resolution
# (lr x 0.1), and it weights the consistency loss by the mean confidence per image
# (conf_mode='pixelavg') instead of masking at 0.95. See docs/model_zoo.md.
_base_ = [
    '../default_runtime.py', '../models/semivl_vit-b16.py', '../datasets/cityscapes_semi.py',
    '../schedules/cityscapes_240ep.py'
]
crop_size = (801, 801)
model = dict(
    # 801 is not a multiple of 16: pad batches to the next multiple (816) instead of a
    # fixed size; padding is marked invalid, and the backbone resizes its positional
    # embedding on the fly to the 51 x 51 token grid.
    data_preprocessor=dict(size=None, size_divisor=16),
    backbone=dict(img_size=crop_size),
    decode_head=dict(
        num_classes=19, text_embeddings=dict(class_definitions='cityscapes', aggregation='mean')),
    guidance=dict(class_definitions='cityscapes', aggregation='max', img_size=crop_size),
    test_cfg=dict(mode='slide', crop_size=crop_size, stride=(534, 534)))
