# SemiVL on ADE20K (150 classes, paper Table 4), shared by configs/semivl/ade_*.py: the
# decoder and the dense CLIP guidance both use the class names, 512 crops, sliding
# window 512 / stride 426 at short side 512, 40 epochs of AdamW at lr 4e-4
# (backbone x 0.001).
# With 150 classes the decoder dominates memory and compute (docs/reference.md, "Cost"): 8 + 8 images
# in one process need ~180 GiB without checkpointing (estimate, docs/performance.md);
# configs/semivl/ade_158_1xb16.py fits one 80 GB GPU with `class_chunk_size=30`,
# `with_cp=True` and `gn_type='AutocastGN'` on the decoder and bf16 AMP.
_base_ = ['../default_runtime.py', '../models/semivl_vit-b16.py', '../schedules/ade20k_40ep.py']
model = dict(
    decode_head=dict(
        num_classes=150, text_embeddings=dict(class_definitions='ade20k', aggregation='name')),
    guidance=dict(class_definitions='ade20k', aggregation='name'))
