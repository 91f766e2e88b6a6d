"""A run killed with SIGKILL and resumed with --resume ends like an uninterrupted one."""
import os
import signal
import subprocess
import sys
import time

import torch

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MAX_ITERS = 6


def train_cmd(config, work_dir, options, *extra):
    return [sys.executable, os.path.join(REPO_ROOT, 'tools', 'train.py'), config,
            '--work-dir', str(work_dir), *extra, '--cfg-options', *options]


def test_sigkill_then_resume_matches_uninterrupted_run(tmp_path, demo_config,
                                                       tiny_train_options, monkeypatch):
    # scheduler end beyond the run: every iteration has a non-zero learning rate.
    options = tiny_train_options(max_iters=MAX_ITERS, **{
        'default_hooks.checkpoint.interval': 1, 'param_scheduler.0.end': 100})
    env = dict(os.environ, OMP_NUM_THREADS='1')

    reference = subprocess.run(train_cmd(demo_config, tmp_path / 'ref', options), env=env,
                               capture_output=True, text=True, timeout=600)
    assert reference.returncode == 0, reference.stderr[-3000:]

    work_dir = tmp_path / 'killed'
    proc = subprocess.Popen(train_cmd(demo_config, work_dir, options), env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not (work_dir / 'iter_3.pth').exists() and proc.poll() is None:
        assert time.time() < deadline, 'no checkpoint appeared'
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)  # possibly in the middle of writing iter_4.pth
    proc.wait()
    assert not (work_dir / f'iter_{MAX_ITERS}.pth').exists()

    resumed = subprocess.run(train_cmd(demo_config, work_dir, options, '--resume'), env=env,
                             capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert 'Auto resumed from the latest checkpoint' in resumed.stdout + resumed.stderr

    final = torch.load(work_dir / f'iter_{MAX_ITERS}.pth', map_location='cpu')['state_dict']
    expected = torch.load(tmp_path / 'ref' / f'iter_{MAX_ITERS}.pth',
                          map_location='cpu')['state_dict']
    assert final.keys() == expected.keys()
    for key in expected:
        torch.testing.assert_close(final[key], expected[key], rtol=0, atol=1e-6, msg=key)
