# The UDA demo (tools/demo.py --task uda): DACS on the generated domain-shift miniature
# (mmseg_semivl/demo/uda_scenes.py: flat-painted source scenes -> textured,
# colour-shifted target scenes, 5 classes, 64 px), with a tiny MiT + DAFormer head from
# random initialisation, so it runs on 2 CPU cores in minutes. The source-only baseline
# is the same config with model.type='SourceOnlySegmentor' (tools/demo.py does that).
_base_ = [
    '../_base_/uda/dacs.py', '../_base_/uda/encoders/mitb5.py',
    '../_base_/datasets/uda_custom_folder.py', '../_base_/schedules/uda_40k.py'
]
# After `_base_`, so that MMEngine still reads this file as a text config.
from mmseg_semivl.datasets.pipelines import uda_pipelines  # noqa: E402

data_root = 'data/uda_scenes'
num_classes = 5
crop_size = (64, 64)
max_iters = 600
warmup_iters = 50
source_pipeline, target_pipeline, test_pipeline = uda_pipelines(
    crop_size, source_scale=None, target_scale=None, num_classes=num_classes, pad=True)
_folder = dict(type='UDAFolderDataset', data_root=data_root, num_classes=num_classes)
train_dataloader = dict(
    batch_size=4, num_workers=0, persistent_workers=False,  # 2 source + 2 target, as DAFormer
    sampler=dict(batch_size=4),
    dataset=dict(datasets=[dict(_folder, part='source', pipeline=source_pipeline),
                           dict(_folder, part='target', pipeline=target_pipeline)]))
val_dataloader = test_dataloader = dict(
    num_workers=0, persistent_workers=False,
    dataset=dict(_folder, part='target_val', pipeline=test_pipeline))
model = dict(
    student=dict(
        _base_.student,
        backbone=dict(_base_.student.backbone, embed_dims=16, num_layers=[1, 1, 1, 1],
                      num_heads=[1, 2, 4, 8], drop_path_rate=0.0, init_cfg=None),
        decode_head=dict(_base_.student.decode_head, in_channels=[16, 32, 64, 128],
                         channels=32, embed_dims=32, num_classes=num_classes)),
    data_preprocessor=dict(_base_.data_preprocessor, size=crop_size))
optimizer = dict(lr=6e-4)  # 10 x DAFormer's: a tiny network from scratch, 600 iterations
optim_wrapper = dict(optimizer=optimizer)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=warmup_iters + 1),
    dict(type='PolyLR', eta_min=0.0, power=1.0, by_epoch=False, begin=0, end=max_iters + 1),
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=max_iters), logger=dict(interval=50))
