"""ExactResumeHook: an interrupted + resumed run ends with the uninterrupted run's weights."""
import os.path as osp

import torch

from interrupt import train as _train


def _weights(runner):
    return {k: v.detach().clone() for k, v in runner.model.state_dict().items()}


def test_interrupted_and_resumed_run_matches_uninterrupted(tmp_path, tiny_run_cfg):
    reference = _weights(_train(tiny_run_cfg(tmp_path / 'ref', max_iters=4, ckpt_interval=2)))

    work_dir = tmp_path / 'killed'
    # Killed in iteration 3, after the checkpoint of iteration 2 (and 3's weight update).
    _train(tiny_run_cfg(work_dir, max_iters=4, ckpt_interval=2), kill_at=3)
    assert open(work_dir / 'last_checkpoint').read().endswith('iter_2.pth')
    ckpt = torch.load(work_dir / 'iter_2.pth', map_location='cpu')
    assert ckpt['random_state']['iter'] == 2 and ckpt['random_state']['world_size'] == 1

    resumed = _train(tiny_run_cfg(work_dir, max_iters=4, ckpt_interval=2, resume=True))
    assert resumed.iter == 4
    weights = _weights(resumed)
    assert weights.keys() == reference.keys()
    moved = max((reference[k] - ckpt['state_dict'][k]).abs().max().item()
                for k in ckpt['state_dict'])
    assert moved > 1e-4  # iterations 3-4 did change the weights
    for key, value in reference.items():
        torch.testing.assert_close(weights[key], value, rtol=0, atol=1e-6, msg=key)


def test_checkpoints_without_random_state_still_resume(tmp_path, tiny_run_cfg):
    cfg = tiny_run_cfg(tmp_path, max_iters=1, ckpt_interval=1)
    # An older run, saved without ExactResumeHook (the plain message hub keeps the file
    # loadable by torch's safe loader).
    cfg.custom_hooks = [dict(type='PlainCheckpointStateHook')]
    _train(cfg)
    assert 'random_state' not in torch.load(tmp_path / 'iter_1.pth', map_location='cpu')
    resumed = _train(tiny_run_cfg(tmp_path, max_iters=2, ckpt_interval=2, resume=True))
    assert resumed.iter == 2 and osp.isfile(tmp_path / 'iter_2.pth')
