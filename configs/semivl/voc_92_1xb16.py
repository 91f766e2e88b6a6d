# SemiVL on Pascal VOC, 92 labeled images, on ONE GPU: the paper's total batch of
# 8 labeled + 8 unlabeled images in one process, so schedule and results are those of
# voc_92.py (8 GPUs x (1 + 1)). Memory-lean settings that keep the method's math:
# bf16 mixed precision, activation checkpointing of the decoder's per-class parts and
# the decoder's GroupNorms in bf16 (AutocastGN). Estimated peak tensor memory 15.2 GiB
# at 3.90 TFLOPs per labeled+unlabeled pair (docs/performance.md):
#   python tools/benchmark_train.py configs/semivl/voc_92_1xb16.py --synthetic --fake
# For 16 GB GPUs also checkpoint the ViT blocks (8.7 GiB, 4.47 TFLOPs per pair):
#   --cfg-options model.backbone.with_cp=True
# Any VOC split runs like this with the same overrides.
_base_ = ['./voc_92.py']
samples_per_gpu = 16
train_dataloader = dict(batch_size=samples_per_gpu, sampler=dict(batch_size=samples_per_gpu))
model = dict(decode_head=dict(with_cp=True, gn_type='AutocastGN'))
optim_wrapper = dict(type='NonFiniteSkipAmpOptimWrapper', dtype='bfloat16')
