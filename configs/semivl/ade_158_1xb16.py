# SemiVL on ADE20K, 158 labeled images, on ONE 80 GB GPU: the paper's total batch of
# 8 labeled + 8 unlabeled images in one process, so schedule and results are those of
# ade_158.py (8 GPUs x (1 + 1)). With 150 classes the decoder's per-class maps hold
# most of the memory: bf16 mixed precision, activation checkpointing of the decoder in
# chunks of 30 classes, and the decoder's GroupNorms in bf16 (AutocastGN). The method's
# math is unchanged. Estimated peak tensor memory 33.9 GiB at 12.31 TFLOPs per
# labeled+unlabeled pair (docs/performance.md):
#   python tools/benchmark_train.py configs/semivl/ade_158_1xb16.py --synthetic --fake
# Checkpointing the ViT blocks too (model.backbone.with_cp=True): 27.5 GiB, 12.87 TFLOPs.
_base_ = ['./ade_158.py']
samples_per_gpu = 16
train_dataloader = dict(batch_size=samples_per_gpu, sampler=dict(batch_size=samples_per_gpu))
model = dict(decode_head=dict(with_cp=True, class_chunk_size=30, gn_type='AutocastGN'))
optim_wrapper = dict(type='NonFiniteSkipAmpOptimWrapper', dtype='bfloat16')
