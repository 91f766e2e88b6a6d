"""A run SIGKILLed *inside* a checkpoint write and resumed with --resume ends like an
uninterrupted one.

The kill happens at a defined point - the process kills itself when half of
``iter_4.pth`` is on disk (``KillInsideCheckpointWriteHook``) - not when a polling test
happens to notice a file: the resume point is always iteration 3. (The earlier version
killed "soon after iter_3.pth appeared", so it resumed from iteration 3, 4 or 5. With one
unlabeled image per batch ``MixPartnerSelector`` mixes with the previous iteration's image,
which is not in checkpoints (docs/reliability.md): run with batch size 2, the resume from
iteration 4 differs in ``backbone.positional_embedding`` - the reported failure - while
the resumes from 3 and 5 are exact, hence 1 failure in 3 runs.) Batches carry two
unlabeled images here, so no cross-iteration cache exists.

``max_keep_ckpts=1``: MMEngine's own hook deleted ``iter_3.pth`` before writing
``iter_4.pth``, so this kill lost the whole run.
"""
import os
import subprocess
import sys

import torch
import pytest

pytestmark = pytest.mark.e2e

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FAULTS = os.path.join(REPO_ROOT, 'tests', 'test_reliability')
MAX_ITERS = 6


def train_cmd(config, work_dir, options, *extra):
    return [sys.executable, os.path.join(REPO_ROOT, 'tools', 'train.py'), str(config),
            '--work-dir', str(work_dir), *extra, '--cfg-options', *options]


def fault_config(tmp_path, demo_config, *hooks):
    """The demo config plus test-only fault hooks (tests/test_reliability/fault_injection.py)."""
    from mmengine.config import Config
    base_hooks = [dict(h) for h in Config.fromfile(demo_config).custom_hooks]
    path = tmp_path / f'faulty_{len(list(tmp_path.glob("faulty_*.py")))}.py'
    path.write_text(
        f'_base_ = [{demo_config!r}]\n'
        "custom_imports = dict(imports=['mmseg_semivl', 'fault_injection'], "
        'allow_failed_imports=False)\n'
        f'custom_hooks = {base_hooks!r} + [{", ".join(hooks)}]\n')
    return path


def fault_env():
    return dict(os.environ, OMP_NUM_THREADS='1',
                PYTHONPATH=os.pathsep.join([FAULTS, os.environ.get('PYTHONPATH', '')]))


def test_sigkill_inside_checkpoint_write_then_resume_matches_uninterrupted_run(
        tmp_path, demo_config, tiny_train_options):
    # scheduler end beyond the run: every iteration has a non-zero learning rate.
    options = tiny_train_options(max_iters=MAX_ITERS, batch_size=4, **{
        'default_hooks.checkpoint.interval': 1, 'default_hooks.checkpoint.max_keep_ckpts': 1,
        'param_scheduler.0.end': 100})
    env = fault_env()

    reference = subprocess.run(train_cmd(demo_config, tmp_path / 'ref', options), env=env,
                               capture_output=True, text=True, timeout=600)
    assert reference.returncode == 0, reference.stderr[-3000:]

    work_dir = tmp_path / 'killed'
    config = fault_config(tmp_path, demo_config,
                          "dict(type='KillInsideCheckpointWriteHook', target='iter_4.pth')")
    killed = subprocess.run(train_cmd(config, work_dir, options), env=env,
                            capture_output=True, text=True, timeout=600)
    assert killed.returncode == -9, killed.stderr[-3000:]
    # What the kill left: the complete iter_3.pth, the pointer to it, half a temporary.
    assert sorted(p.name for p in work_dir.glob('*.pth')) == ['iter_3.pth']
    assert (work_dir / 'last_checkpoint').read_text() == str(work_dir / 'iter_3.pth')
    assert len(list(work_dir.glob('.iter_4.pth.*.tmp'))) == 1

    resumed = subprocess.run(train_cmd(demo_config, work_dir, options, '--resume'), env=env,
                             capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    output = resumed.stdout + resumed.stderr
    assert f'Resuming from {work_dir}/iter_3.pth (named by {work_dir}/last_checkpoint)' in output
    assert 'Removed a temporary file of an interrupted save' in output
    assert not list(work_dir.glob('.*.tmp'))

    final = torch.load(work_dir / f'iter_{MAX_ITERS}.pth', map_location='cpu')['state_dict']
    expected = torch.load(tmp_path / 'ref' / f'iter_{MAX_ITERS}.pth',
                          map_location='cpu')['state_dict']
    assert final.keys() == expected.keys()
    for key in expected:
        torch.testing.assert_close(final[key], expected[key], rtol=0, atol=1e-6, msg=key)
