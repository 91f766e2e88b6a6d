"""A tiny, fast SemiVL training config for the reliability tests (64 px crops, no val)."""
import copy

import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmseg.registry import MODELS

from tools import train as train_tool

CROP = 64


def shrink_crops(cfg: Config, crop: int = CROP) -> Config:
    """Retarget the demo config's 128 px crops to ``crop`` px (4x fewer pixels)."""
    size = (crop, crop)
    cfg.model.data_preprocessor.size = size
    cfg.model.backbone.img_size = crop
    cfg.model.guidance.img_size = crop
    for source in cfg.train_dataloader.dataset.datasets:
        for transform in source.pipeline:
            if transform.type == 'RandomResize':
                transform.scale = (2 * crop, crop)
            elif transform.type == 'RandomCrop':
                transform.crop_size = size
            elif transform.type == 'PadToSize':
                transform.size = size
    return cfg


def _warm_text_embedding_cache(cfg: Config) -> None:
    # Building text embeddings on a cache miss initialises an open_clip model, which
    # draws from torch's global generator; on a hit it does not. Two runs with the
    # same seed therefore start from different weights unless the cache is warm.
    with DefaultScope.overwrite_default_scope('mmseg'):
        MODELS.build(copy.deepcopy(cfg.model))


@pytest.fixture
def tiny_run_cfg(demo_config, tiny_train_options):
    """``make(work_dir, max_iters, ckpt_interval, batch_size=4, **options) -> Config``.

    Training only (no validation), checkpoints every ``ckpt_interval`` iterations,
    ``ExactResumeHook`` and ``PlainCheckpointStateHook`` on; ``--resume`` semantics via
    ``resume=True``.
    """

    def make(work_dir, max_iters, ckpt_interval, batch_size=4, resume=False, **options):
        opts = tiny_train_options(max_iters=max_iters, batch_size=batch_size, **options)
        argv = [demo_config, '--work-dir', str(work_dir), '--cfg-options', *opts,
                f'default_hooks.checkpoint.interval={ckpt_interval}',
                'default_hooks.checkpoint.max_keep_ckpts=-1']
        if resume:
            argv.insert(1, '--resume')  # no path: the latest checkpoint of work_dir
        cfg = train_tool.build_config(train_tool.parse_args(argv))
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
        cfg.custom_hooks = [dict(type='ExactResumeHook'), dict(type='PlainCheckpointStateHook')]
        cfg = shrink_crops(cfg)
        _warm_text_embedding_cache(cfg)
        return cfg

    return make
