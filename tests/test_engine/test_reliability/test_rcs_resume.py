"""Rare-class sampling under kill + resume: the resumed DACS run draws the same source
files and crops and ends with the uninterrupted run's weights."""
import glob
import os.path as osp

import cv2
import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook

from interrupt import train as train_until
from mmseg_semivl.datasets.class_stats import count_class_pixels, write_class_stats
from mmseg_semivl.demo.uda_demo import UDA_DEMO_CONFIG, set_data_root
from mmseg_semivl.demo.uda_scenes import write_uda_scene_task


class RecordSources(Hook):
    """Source files of every iteration, in order."""

    def __init__(self) -> None:
        self.files = []

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        samples = data_batch['data_samples']['labeled']  # None at target slots
        self.files.append([s.img_path for s in samples if s is not None])


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('uda_rcs'))
    write_uda_scene_task(root, num_source=8, num_target=8, num_val=1)
    stats = [(osp.relpath(p, root), count_class_pixels(cv2.imread(p, cv2.IMREAD_UNCHANGED), 5))
             for p in sorted(glob.glob(osp.join(root, 'source', 'labels', '*.png')))]
    write_class_stats(root, stats)
    return root


def rcs_cfg(data_root, work_dir, resume=False):
    cfg = Config.fromfile(UDA_DEMO_CONFIG)
    set_data_root(cfg, data_root, 5)
    loader = cfg.train_dataloader
    loader.sampler = dict(type='RareClassMultiSourceSampler', batch_size=4, source_ratio=(1, 1))
    source, target = loader.dataset.datasets
    # 64 px scenes: eligible above 200 pixels of a class, re-crops until 100 are in the crop.
    loader.dataset.datasets = [dict(type='RareClassSamplingDataset', dataset=source,
                                    min_pixels=200, min_crop_ratio=0.5), target]
    cfg.work_dir = str(work_dir)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=4, val_interval=100)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.test_cfg = cfg.test_dataloader = cfg.test_evaluator = None
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=2, by_epoch=False,
                                        max_keep_ckpts=-1)
    cfg.default_hooks.logger.interval = 1
    cfg.randomness = dict(seed=0)
    cfg.resume = resume
    return cfg


def train(cfg, kill_at=None):
    recorder = RecordSources()
    return train_until(cfg, kill_at, hooks=[recorder]), recorder.files


def test_rcs_run_killed_and_resumed_matches_the_uninterrupted_one(tmp_path, data_root):
    reference, ref_files = train(rcs_cfg(data_root, tmp_path / 'ref'))
    _, killed_files = train(rcs_cfg(data_root, tmp_path / 'killed'), kill_at=3)
    assert killed_files == ref_files[:3]
    resumed, resumed_files = train(rcs_cfg(data_root, tmp_path / 'killed', resume=True))
    assert resumed.iter == 4
    # The resumed run continues the source stream where the checkpoint (iteration 2) left it.
    assert resumed_files == ref_files[2:]
    sampler = resumed.train_dataloader.sampler
    assert type(sampler).__name__ == 'RareClassMultiSourceSampler'
    expected = {k: v for k, v in reference.model.state_dict().items()}
    for key, value in resumed.model.state_dict().items():
        torch.testing.assert_close(value, expected[key], rtol=0, atol=1e-6, msg=key)
