# SemiVL on COCO (81 classes, paper Table 3), shared by configs/semivl/coco_*.py: the
# decoder and the dense CLIP guidance both use the class names (no public annotation
# guidelines), 512 crops, sliding window 512 / stride 426 on the original images,
# 10 epochs of AdamW at lr 4e-4 (backbone x 0.001).
# The decoder costs ~3.3 GFLOP per class and image (docs/reference.md, "Cost"): with 81 classes it
# outweighs the ViT. One GPU's share (1 + 1 images) is estimated at 13.8 GiB with
# bf16 AMP (docs/performance.md); for more images per GPU set
# `model.decode_head.class_chunk_size` (e.g. 27), `model.decode_head.with_cp=True` and
# `model.decode_head.gn_type='AutocastGN'`.
_base_ = ['../default_runtime.py', '../models/semivl_vit-b16.py', '../schedules/coco_10ep.py']
model = dict(
    decode_head=dict(
        num_classes=81, text_embeddings=dict(class_definitions='coco', aggregation='name')),
    guidance=dict(class_definitions='coco', aggregation='name'))
