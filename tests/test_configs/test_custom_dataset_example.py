"""configs/examples/semivl_custom_dataset.py: a user's own classes train end to end."""
from pathlib import Path

import mmcv
import numpy as np
import pytest
from mmengine.runner import Runner

from config_helpers import load_config, loader_cfg, shrink_pipelines, tinify_model

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / 'configs' / 'examples' / 'semivl_custom_dataset.py'
CLASSES = ('background', 'road', 'car', 'tree')


def write_folder(root: Path, definitions: str) -> None:
    rng = np.random.default_rng(0)
    for sub in ('images', 'labels'):
        (root / sub).mkdir(parents=True)
    lines = []
    for i in range(4):
        mmcv.imwrite(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8), str(root / f'images/{i}.jpg'))
        mmcv.imwrite(rng.integers(0, 4, (48, 64)).astype(np.uint8), str(root / f'labels/{i}.png'))
        lines.append(f'images/{i}.jpg labels/{i}.png')
    (root / 'labeled.txt').write_text('\n'.join(lines[:2]) + '\n')
    (root / 'unlabeled.txt').write_text('\n'.join(line.split()[0] for line in lines[2:]) + '\n')
    (root / 'val.txt').write_text(lines[0] + '\n')
    (root / 'classes.yaml').write_text(definitions)


def build(tmp_path, checkpoint, definitions):
    cfg = load_config(CONFIG)
    root = tmp_path / 'my_task'
    write_folder(root, definitions)
    for dataset in (*cfg.train_dataloader.dataset.datasets, cfg.val_dataloader.dataset):
        dataset.data_root = str(root)
    for node in (cfg.model.decode_head.text_embeddings, cfg.model.guidance):
        node.class_definitions = str(root / 'classes.yaml')
    shrink_pipelines(cfg, 64)
    tinify_model(cfg, checkpoint, crop=64)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=1, val_interval=10)
    cfg.param_scheduler[0].end = 1
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.pop('visualization')
    return cfg, Runner(
        model=cfg.model, work_dir=str(tmp_path / 'work'),
        train_dataloader=loader_cfg(cfg.train_dataloader), optim_wrapper=cfg.optim_wrapper,
        param_scheduler=cfg.param_scheduler, train_cfg=cfg.train_cfg,
        default_hooks=cfg.default_hooks, custom_hooks=cfg.custom_hooks,
        default_scope=cfg.default_scope, randomness=dict(seed=0),
        env_cfg=dict(cudnn_benchmark=False), log_level='WARNING')


def test_user_classes_train(tmp_path, tiny_clip_checkpoint):
    cfg, runner = build(tmp_path, tiny_clip_checkpoint,
                        'background: [background, sky]\nroad: [road, street]\n'
                        'car: [car, van]\ntree: [tree, bush]\n')
    assert cfg.model.decode_head.num_classes == 4
    assert runner.train_dataloader.dataset.metainfo['classes'] == CLASSES
    runner.train()
    assert runner.iter == 1
    assert runner.model.decode_head.text_embeddings.shape[0] == 4


def test_definitions_in_another_order_are_refused(tmp_path, tiny_clip_checkpoint):
    _, runner = build(tmp_path, tiny_clip_checkpoint,
                      'background: [background]\ncar: [car]\nroad: [road]\ntree: [tree]\n')
    with pytest.raises(Exception, match='road'):
        runner.train()  # SetupCheckHook: label i and embedding i must be the same class
