"""The benchmark configs' data pipelines on miniature dataset folders, and one training
iteration per dataset family on CPU with a tiny CLIP."""

import pytest
import torch
from config_helpers import (FAMILIES, first_config, loader_cfg, load_config, make_miniature,
                            shrink_pipelines, tinify_model)
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

FAMILY_NAMES = list(FAMILIES)


@pytest.mark.parametrize('family', FAMILY_NAMES)
def test_dataloaders(family, tmp_path):
    """The real pipelines: crops of the paper's size, val at short side 512 or native."""
    init_default_scope('mmseg')
    cfg = load_config(first_config('semivl', family))
    make_miniature(cfg, tmp_path, image_hw=(48, 72))
    crop = FAMILIES[family]['crop']

    batch = next(iter(Runner.build_dataloader(loader_cfg(cfg.train_dataloader), seed=0)))
    inputs, samples = batch['inputs'], batch['data_samples']
    # MultiSourceSampler: one labeled and one unlabeled sample per GPU batch of 2.
    assert sum(x is not None for x in inputs['labeled']) == 1
    assert sum(x is not None for x in inputs['weak']) == 1
    labeled = next(x for x in inputs['labeled'] if x is not None)
    assert labeled.shape == (3, crop, crop)
    unlabeled = next(s for s in samples['unlabeled'] if s is not None)
    assert unlabeled.valid_mask.data.shape == (1, crop, crop)

    val = next(iter(Runner.build_dataloader(loader_cfg(cfg.val_dataloader))))
    short_side = FAMILIES[family]['val_short_side']
    expected = (48, 72) if short_side is None else (short_side, short_side * 72 // 48)
    assert tuple(val['inputs'][0].shape[1:]) == expected
    labels = val['data_samples'][0].gt_sem_seg.data
    assert labels.shape[1:] == (48, 72)  # metrics compare at the label's own size
    valid = labels[labels != 255]
    assert int(valid.max()) < FAMILIES[family]['num_classes']


@pytest.mark.parametrize('family', FAMILY_NAMES)
def test_one_training_iteration(family, tmp_path, tiny_clip_checkpoint):
    """Runner + the family's SemiVL config at crop 64 (Cityscapes: 50, padded to 64)."""
    cfg = load_config(first_config('semivl', family))
    make_miniature(cfg, tmp_path / 'data', image_hw=(40, 80))
    crop = 50 if family == 'cityscapes' else 64
    shrink_pipelines(cfg, crop)
    tinify_model(cfg, tiny_clip_checkpoint, crop=crop)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=1, val_interval=10)
    cfg.param_scheduler[0].end = 1
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.pop('visualization')
    # The config's parts through mmengine's Runner; not Runner.from_cfg, whose config
    # dumps (yapf) take seconds per call.
    runner = Runner(
        model=cfg.model, work_dir=str(tmp_path / 'work'),
        train_dataloader=loader_cfg(cfg.train_dataloader), optim_wrapper=cfg.optim_wrapper,
        param_scheduler=cfg.param_scheduler, train_cfg=cfg.train_cfg,
        default_hooks=cfg.default_hooks,
        default_scope=cfg.default_scope, randomness=dict(seed=0),
        env_cfg=dict(cudnn_benchmark=False), log_level='WARNING')
    backbone = runner.model.backbone
    before = {n: p.detach().clone() for n, p in backbone.named_parameters()}
    runner.train()

    loss = runner.message_hub.get_scalar('train/loss').current()
    assert torch.isfinite(torch.as_tensor(loss))
    # Spatial fine-tuning: the attention layers moved, the MLPs did not.
    params = dict(backbone.named_parameters())
    assert not torch.equal(params['resblocks.0.attn.in_proj_weight'],
                           before['resblocks.0.attn.in_proj_weight'])
    assert torch.equal(params['resblocks.0.mlp.c_fc.weight'], before['resblocks.0.mlp.c_fc.weight'])


@pytest.mark.parametrize('family', FAMILY_NAMES)
def test_the_configs_epoch_loop_on_the_miniature(family, tmp_path):
    """The family's own train_cfg (SourceEpochTrainLoop) over the built miniature: the
    length is max_epochs x ceil(unlabeled images / 1 per step) on one process (that the
    schedulers without an `end` stop there: tests/test_engine/test_runner)."""
    cfg = load_config(first_config('semivl', family))
    make_miniature(cfg, tmp_path / 'data', image_hw=(40, 80))
    assert cfg.train_cfg.type == 'SourceEpochTrainLoop' and 'end' not in cfg.param_scheduler[0]
    cfg.train_cfg.max_epochs = 3
    from mmengine.model import BaseModel

    class Unused(BaseModel):  # the loop's length needs data, not the model
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(1, 1)

        def forward(self, inputs, data_samples=None, mode='tensor'):
            raise AssertionError('not trained here')

    runner = Runner(
        model=Unused(), work_dir=str(tmp_path / 'work'),
        train_dataloader=loader_cfg(cfg.train_dataloader), train_cfg=cfg.train_cfg,
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        default_scope=cfg.default_scope, log_level='WARNING')
    loop = runner.build_train_loop(runner._train_loop)
    unlabeled = len(loop.dataloader.dataset.datasets[1])
    assert unlabeled > 1
    per_step = cfg.train_dataloader.sampler.batch_size // 2  # 1 labeled + 1 unlabeled
    assert loop.max_iters == 3 * -(-unlabeled // per_step)
