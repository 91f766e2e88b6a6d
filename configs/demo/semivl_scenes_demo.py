# The bundled demo (tools/demo.py): the learning benchmark's SemiVL config on the
# generated-scenes task, with the shipped tiny pretrained CLIP, shortened to fit a few
# minutes on 2 CPU cores. Inherit it for your own quick experiments: the data root,
# classes and split lists are plain variables of configs/_base_/datasets/scenes.py.
_base_ = ['../learning/semivl_scenes.py']
max_iters = 300
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=max_iters, by_epoch=False)
]
default_hooks = dict(checkpoint=dict(interval=max_iters))
