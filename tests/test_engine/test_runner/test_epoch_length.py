"""SourceEpochTrainLoop: the schedule length in epochs of one source, computed in one
place (iterations_for_epochs) from the built dataloader, and the scheduler end that
MMEngine derives from it."""
import mmseg_semivl  # noqa: F401  (registers the loop)

import uuid

import pytest
import torch
import torch.nn as nn
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import ConcatDataset, Dataset

from mmseg_semivl.engine.runner import SourceEpochTrainLoop, iterations_for_epochs


class Sized(Dataset):
    metainfo = dict(classes=('a', 'b'))

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        return dict(inputs=torch.full((2,), float(index)))


class Toy(BaseModel):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.linear(torch.stack(list(inputs)))
        return dict(loss=out.pow(2).mean()) if mode == 'loss' else out


def test_the_papers_lengths():
    # One epoch = ceil(unlabeled / 8): VOC 92 labels, Cityscapes 1/16, COCO 232, ADE 158.
    assert iterations_for_epochs(80, 10_582 - 92, 8) == 104_960
    assert iterations_for_epochs(240, 2_975 - 186, 8) == 83_760
    assert iterations_for_epochs(10, 118_287 - 232, 8) == 147_570
    assert iterations_for_epochs(40, 20_210 - 158, 8) == 100_280
    assert iterations_for_epochs(3, 16, 8) == 6 and iterations_for_epochs(3, 17, 8) == 9


@pytest.mark.parametrize('bad', [dict(max_epochs=0), dict(num_samples=2.5),
                                 dict(samples_per_step=-1)])
def test_bad_inputs_name_the_argument(bad):
    args = {**dict(max_epochs=2, num_samples=10, samples_per_step=2), **bad}
    with pytest.raises(ValueError, match=next(iter(bad))):
        iterations_for_epochs(**args)


def runner(tmp_path, max_epochs=3, batch_size=4, source_ratio=(1, 1), epoch_source=1,
           sampler='MultiSourceSampler', unlabeled=21):
    sampler_cfg = dict(type=sampler, shuffle=False)
    if sampler == 'MultiSourceSampler':
        sampler_cfg.update(batch_size=batch_size, source_ratio=source_ratio)
    return Runner(
        model=Toy(), work_dir=str(tmp_path),
        train_dataloader=dict(
            dataset=ConcatDataset([Sized(5), Sized(unlabeled)]), batch_size=batch_size,
            sampler=sampler_cfg, num_workers=0,
            collate_fn=dict(type='default_collate')),
        train_cfg=dict(type='SourceEpochTrainLoop', max_epochs=max_epochs,
                       epoch_source=epoch_source, val_interval=10**6),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        param_scheduler=[dict(type='PolyLR', power=0.9, eta_min=0.0, by_epoch=False)],
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=10**6)),
        default_scope='mmseg', experiment_name=f'epochs_{uuid.uuid4().hex}')


def test_the_loop_counts_epochs_of_the_unlabeled_source_and_sets_the_scheduler_end(tmp_path):
    run = runner(tmp_path)
    run.train()
    loop = run.train_loop
    assert isinstance(loop, SourceEpochTrainLoop)
    # 21 unlabeled, 2 per step (batch 4 split 1:1), one process: 3 x ceil(21 / 2) = 33.
    assert loop.max_iters == 33 and run.iter == 33
    assert run.param_schedulers[0].end == 33  # MMEngine's default end = the loop's length
    # poly decay reached 0 exactly at the end
    assert run.optim_wrapper.get_lr()['lr'][0] == pytest.approx(0.0, abs=1e-12)


def test_the_batch_split_and_the_source_index_are_read_from_the_sampler(tmp_path):
    # Batch 6 split 1:2 -> 4 unlabeled per step: 2 x ceil(21 / 4) = 12; on source 0
    # (5 labeled, 2 per step): 2 x ceil(5 / 2) = 6.
    assert runner(tmp_path / 'a', 2, 6, (1, 2)).build_train_loop(
        runner(tmp_path / 'b', 2, 6, (1, 2))._train_loop).max_iters == 12
    r = runner(tmp_path / 'c', 2, 6, (1, 2), epoch_source=0)
    assert r.build_train_loop(r._train_loop).max_iters == 6


def test_an_explicit_max_iters_wins_as_in_mmseg_cfg_options(tmp_path):
    r = runner(tmp_path)
    r._train_loop['max_iters'] = 7  # --cfg-options train_cfg.max_iters=7
    r.train()
    assert r.train_loop.max_iters == 7 and r.iter == 7 and r.param_schedulers[0].end == 7


def test_a_wrong_sampler_or_source_is_one_line(tmp_path):
    r = runner(tmp_path / 'a', sampler='DefaultSampler')
    with pytest.raises(TypeError, match='MultiSourceSampler'):
        r.build_train_loop(r._train_loop)
    r = runner(tmp_path / 'b', epoch_source=2)
    with pytest.raises(ValueError, match='epoch_source=2'):
        r.build_train_loop(r._train_loop)
