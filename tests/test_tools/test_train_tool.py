"""tools/train.py: a tiny SemiVL training, checkpoint, --resume and load_from."""
import os.path as osp

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmseg.registry import HOOKS

from tools import train as train_tool


def run_train(config, work_dir, options, *extra):
    argv = [config, '--work-dir', str(work_dir), *extra, '--cfg-options', *options]
    return train_tool.main(argv)


class Interrupted(RuntimeError):
    pass


@HOOKS.register_module(force=True)
class InterruptAfterIterHook(Hook):
    """Test-only: stops a run like a crash, after the checkpoint of ``iteration``."""
    priority = 'LOWEST'  # after CheckpointHook

    def __init__(self, iteration: int) -> None:
        self.iteration = iteration

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if runner.iter + 1 == self.iteration:
            raise Interrupted(f'stopped after iteration {self.iteration}')


def test_train_saves_and_resumes_from_the_saved_iteration(tmp_path, demo_config,
                                                          tiny_train_options):
    options = tiny_train_options(max_iters=6, **{'default_hooks.checkpoint.interval': 2})
    cfg = train_tool.build_config(train_tool.parse_args(
        [demo_config, '--work-dir', str(tmp_path), '--cfg-options', *options]))
    cfg.custom_hooks = [dict(type='InterruptAfterIterHook', iteration=4)]
    with pytest.raises(Interrupted):
        Runner.from_cfg(cfg).train()
    ckpt = torch.load(tmp_path / 'iter_4.pth', map_location='cpu')  # weights_only default
    assert ckpt['meta']['iter'] == 4
    assert not any(k.startswith('guidance.') for k in ckpt['state_dict'])  # frozen CLIP left out
    assert not (tmp_path / 'iter_6.pth').exists()

    resumed = run_train(demo_config, tmp_path, options, '--resume')
    assert resumed.iter == 6
    # Optimizer state was restored: AdamW counts 4 restored + 2 new steps.
    steps = {int(s['step']) for s in resumed.optim_wrapper.optimizer.state_dict()['state'].values()}
    assert steps == {6}
    # The poly schedule continued from iteration 4 and reached its end (lr 0); an
    # uninterrupted 6-iteration run also ends with MMEngine's last_step == 5.
    assert resumed.param_schedulers[0].last_step == 5
    assert resumed.optim_wrapper.get_lr()['lr'][0] == pytest.approx(0.0, abs=1e-12)


def test_resume_from_explicit_checkpoint_and_load_from(tmp_path, demo_config, tiny_train_options):
    run_train(demo_config, tmp_path / 'a', tiny_train_options(max_iters=2))
    ckpt_path = str(tmp_path / 'a' / 'iter_2.pth')
    resumed = run_train(demo_config, tmp_path / 'b', tiny_train_options(max_iters=3), '--resume', ckpt_path)
    assert resumed.iter == 3

    saved = torch.load(ckpt_path, map_location='cpu')['state_dict']
    # load_from initialises the weights only: training restarts at iteration 0.
    cfg = train_tool.build_config(train_tool.parse_args([
        demo_config, '--work-dir', str(tmp_path / 'c'), '--cfg-options',
        *tiny_train_options(max_iters=2, load_from=ckpt_path)]))
    runner = Runner.from_cfg(cfg)
    runner.load_or_resume()
    assert runner.iter == 0
    state = runner.model.state_dict()
    assert set(saved) == set(state)
    for key in saved:
        torch.testing.assert_close(state[key], saved[key], msg=key)
