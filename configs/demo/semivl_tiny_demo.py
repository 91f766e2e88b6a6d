# SemiVL end to end on real photos (the VOC-layout miniature of mmseg_semivl.demo.data),
# sized for 2 CPU cores, with a tiny CLIP (random, or a checkpoint file in
# `clip_pretrained`): the config of the training tests, tools/benchmark_train.py and the
# MMSeg-API checks. The README demo (tools/demo.py) trains configs/learning/semivl_scenes.py.
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/semivl_vit-b16.py',
    '../_base_/datasets/semi_voc_style.py', '../_base_/schedules/tiny_adamw.py'
]
# After `_base_`, so that MMEngine still reads this file as a text config.
from mmseg_semivl.datasets.pipelines import semi_pipelines  # noqa: E402

clip_model = 'semivl-tiny'
# = mmseg_semivl.models.backbones.TINY_CLIP_CFG (a test keeps the two equal).
tiny_clip_cfg = dict(
    embed_dim=64,
    vision_cfg=dict(image_size=64, layers=3, width=64, head_width=32, patch_size=16),
    text_cfg=dict(context_length=77, vocab_size=49408, width=64, heads=2, layers=2))
clip_pretrained = None  # tools/demo.py fills in a checkpoint file
crop_size = (128, 128)
data_root = 'demo_output/data'
max_iters = 40
val_interval = 40
samples_per_gpu = 4  # 2 labeled + 2 unlabeled

model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(model_name=clip_model, model_cfg=tiny_clip_cfg, pretrained=clip_pretrained,
                  img_size=crop_size[0], skip_blocks=(0, 1)),
    decode_head=dict(
        in_channels=(64, 64, 64),
        text_channels=64,
        text_embeddings=dict(model_name=clip_model, model_cfg=tiny_clip_cfg,
                             pretrained=clip_pretrained)),
    guidance=dict(model_name=clip_model, model_cfg=tiny_clip_cfg, pretrained=clip_pretrained,
                  img_size=crop_size[0]),
    test_cfg=dict(mode='whole'))

labeled_pipeline, unlabeled_pipeline, test_pipeline = semi_pipelines(
    crop_size, scale=(256, 128), ratio_range=(0.75, 1.5), test_scale=(256, 128))
_dataset = dict(type='PascalVOCSplitDataset', data_root=data_root)
train_dataloader = dict(
    batch_size=samples_per_gpu, num_workers=0, persistent_workers=False,
    sampler=dict(batch_size=samples_per_gpu),
    dataset=dict(datasets=[
        dict(_dataset, ann_file='splits/labeled.txt', pipeline=labeled_pipeline),
        dict(_dataset, ann_file='splits/unlabeled.txt', pipeline=unlabeled_pipeline),
    ]))
val_dataloader = test_dataloader = dict(
    num_workers=0, persistent_workers=False,
    dataset=dict(_dataset, ann_file='splits/val.txt', pipeline=test_pipeline))

# A random tiny CLIP has no features worth preserving: its encoder learns at the head's
# rate (the paper's multipliers, 0.01 / x10, are adamw_poly.py's).
optim_wrapper = dict(paramwise_cfg=dict(custom_keys=dict(backbone=dict(lr_mult=1.0))))
train_cfg = dict(max_iters=max_iters, val_interval=val_interval)
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=val_interval))
randomness = dict(seed=0)
