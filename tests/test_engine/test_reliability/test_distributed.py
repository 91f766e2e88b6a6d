"""Multi-process runs (torchrun, gloo on CPU): a failing rank ends the job; resume across
process counts at the same total batch."""
import os
import socket
import subprocess
import sys
import textwrap

import torch
from mmengine.runner import Runner

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
# Bounds the test, not a timing assertion: a hanging job would otherwise block CI.
JOB_TIMEOUT_S = 240


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _dist_train(config: str, nproc: int, *args: str, env_extra=None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(_free_port()), OMP_NUM_THREADS='1',
               **(env_extra or {}))
    return subprocess.run(['bash', os.path.join(REPO, 'tools', 'dist_train.sh'), config,
                           str(nproc), *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=JOB_TIMEOUT_S)


def _dump(cfg, path) -> str:
    cfg.env_cfg.dist_cfg = dict(backend='gloo', timeout=JOB_TIMEOUT_S)
    cfg.dump(str(path))
    return str(path)


def test_a_failing_rank_ends_the_whole_job(tmp_path, tiny_run_cfg):
    """Rank 1 raises before training while rank 0 enters DDP's all-reduce: no hang."""
    (tmp_path / 'rank_failure.py').write_text(textwrap.dedent('''
        from mmengine.dist import get_rank
        from mmengine.hooks import Hook
        from mmseg.registry import HOOKS

        @HOOKS.register_module()
        class FailOnRankOne(Hook):
            def before_train(self, runner):
                if get_rank() == 1:
                    raise RuntimeError('rank 1 fails on purpose')
    '''))
    cfg = tiny_run_cfg(tmp_path / 'work', max_iters=4, ckpt_interval=4, batch_size=2)
    cfg.custom_imports = dict(imports=['mmseg_semivl', 'rank_failure'], allow_failed_imports=False)
    cfg.custom_hooks = [dict(type='FailOnRankOne')]
    result = _dist_train(_dump(cfg, tmp_path / 'cfg.py'), 2,
                         env_extra=dict(PYTHONPATH=f'{tmp_path}:{REPO}'))
    assert result.returncode != 0
    assert 'rank 1 fails on purpose' in result.stdout + result.stderr
    assert not (tmp_path / 'work' / 'iter_4.pth').exists()


def test_resume_across_process_counts(tmp_path, tiny_run_cfg):
    """1 process x batch 4 -> 2 processes x batch 2 -> 1 process x batch 4, one work dir."""
    work = tmp_path / 'work'
    Runner.from_cfg(tiny_run_cfg(work, max_iters=2, ckpt_interval=2)).train()

    cfg = tiny_run_cfg(work, max_iters=4, ckpt_interval=2, batch_size=2, resume=True)
    result = _dist_train(_dump(cfg, tmp_path / 'dist.py'), 2, '--resume')
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    assert 'resumed epoch: 0, iter: 2' in log
    assert 'written by 1 process(es), this run has 2' in log  # ExactResumeHook's warning
    ckpt = torch.load(work / 'iter_4.pth', map_location='cpu')
    assert ckpt['meta']['iter'] == 4
    assert ckpt['random_state']['world_size'] == 2 and len(ckpt['random_state']['ranks']) == 2
    # AdamW made 4 steps in all: 2 in one process, 2 in two (the ranks step together).
    assert {int(s['step']) for s in ckpt['optimizer']['state'].values()} == {4}

    back = Runner.from_cfg(tiny_run_cfg(work, max_iters=5, ckpt_interval=5, resume=True))
    back.train()
    assert back.iter == 5
    weights = back.model.state_dict()
    assert all(torch.isfinite(v).all() for v in weights.values() if v.is_floating_point())
