"""mmseg_semivl.utils.cli: the tools' shared AMP switches and run arguments."""

import argparse
import os

import pytest
import torch
from mmengine.config import Config

from mmseg_semivl.utils.cli import (AMP_WRAPPERS, add_cfg_options, add_launcher_args,
                                    disable_amp, enable_bf16_amp, export_local_rank)


@pytest.mark.parametrize('plain', sorted(AMP_WRAPPERS))
def test_enable_then_disable_amp_round_trips(plain):
    cfg = Config(dict(optim_wrapper=dict(type=plain, clip_grad=None)))
    enable_bf16_amp(cfg)
    assert cfg.optim_wrapper.type == AMP_WRAPPERS[plain]
    assert cfg.optim_wrapper.dtype == 'bfloat16'
    assert disable_amp(cfg) == 'bfloat16'
    assert cfg.optim_wrapper.to_dict() == dict(type=plain, clip_grad=None)


def test_disable_amp_reports_the_configured_dtype():
    cfg = Config(dict(optim_wrapper=dict(type='AmpOptimWrapper', loss_scale='dynamic')))
    assert disable_amp(cfg) == 'float16'  # mmengine's default when none is named
    assert cfg.optim_wrapper.to_dict() == dict(type='OptimWrapper')
    cfg = Config(dict(optim_wrapper=dict(type='AmpOptimWrapper', dtype=torch.bfloat16)))
    assert disable_amp(cfg) == 'bfloat16'
    assert disable_amp(cfg) is None  # already plain


def test_cpu_threads_share_the_cores_unless_set(monkeypatch):
    import torch

    from mmseg_semivl.utils.cli import configure_cpu_threads
    before = torch.get_num_threads()
    try:
        monkeypatch.setenv('OMP_NUM_THREADS', '1')
        assert configure_cpu_threads() is None  # the user's choice wins
        monkeypatch.delenv('OMP_NUM_THREADS')
        monkeypatch.setenv('LOCAL_WORLD_SIZE', '64')
        monkeypatch.setattr('os.cpu_count', lambda: 16)
        assert configure_cpu_threads() == 1
        monkeypatch.setenv('LOCAL_WORLD_SIZE', '4')
        assert configure_cpu_threads() == 4 and torch.get_num_threads() == 4
    finally:
        torch.set_num_threads(before)


def test_amp_switches_every_optimizer_of_an_adversarial_config():
    from pathlib import Path
    config = Path(__file__).resolve().parents[2] / 'configs/uda/advent_r101_gta2cs.py'
    cfg = Config.fromfile(str(config))
    enable_bf16_amp(cfg)
    for name in ('segmentor', 'discriminator'):
        assert cfg.optim_wrapper[name].type == 'NonFiniteSkipAmpOptimWrapper'
        assert cfg.optim_wrapper[name].dtype == 'bfloat16'
    assert cfg.optim_wrapper.constructor == 'SubmoduleOptimWrapperConstructor'
    assert disable_amp(cfg) == 'bfloat16'
    assert cfg.optim_wrapper.discriminator.type == 'NonFiniteSkipOptimWrapper'
    minent = Config.fromfile(str(config).replace('advent_', 'minent_'))
    enable_bf16_amp(minent)  # the discriminator entry is None: left alone
    assert minent.optim_wrapper.discriminator is None
    assert minent.optim_wrapper.segmentor.type == 'NonFiniteSkipAmpOptimWrapper'


def test_run_arguments_parse_as_mmsegs_and_export_the_local_rank(monkeypatch):
    parser = argparse.ArgumentParser()
    add_cfg_options(parser)
    add_launcher_args(parser)
    monkeypatch.delenv('LOCAL_RANK', raising=False)
    args = export_local_rank(parser.parse_args(
        ['--cfg-options', 'train_cfg.max_iters=8', 'model.a=[1,2]', '--launcher', 'pytorch',
         '--local-rank', '3']))
    assert args.cfg_options == {'train_cfg.max_iters': 8, 'model.a': [1, 2]}
    assert args.launcher == 'pytorch' and os.environ['LOCAL_RANK'] == '3'
    # A launcher's own LOCAL_RANK (torchrun) wins over the default of the flag.
    monkeypatch.setenv('LOCAL_RANK', '1')
    export_local_rank(parser.parse_args([]))
    assert os.environ['LOCAL_RANK'] == '1'
    with pytest.raises(SystemExit):
        parser.parse_args(['--launcher', 'ssh'])
