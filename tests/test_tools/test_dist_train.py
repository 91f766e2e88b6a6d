"""tools/dist_train.sh: two CPU processes (gloo) train the tiny model in lock step."""
import os
import subprocess
import sys
import textwrap

import torch

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

RANK_DUMP_HOOK = '''
import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmseg.registry import HOOKS
import pytest

pytestmark = pytest.mark.e2e


@HOOKS.register_module()
class RankDumpHook(Hook):
    """Test-only: every rank saves its own weights after training."""

    def after_train(self, runner):
        model = runner.model.module if hasattr(runner.model, 'module') else runner.model
        torch.save(model.state_dict(), f'{runner.work_dir}/rank{get_rank()}.pth')
'''


def test_two_process_gloo_training_keeps_ranks_identical(tmp_path, demo_config,
                                                          tiny_train_options):
    (tmp_path / 'rank_dump_hook.py').write_text(RANK_DUMP_HOOK)
    (tmp_path / 'dist_cfg.py').write_text(textwrap.dedent(f'''
        _base_ = [{demo_config!r}]
        custom_imports = dict(imports=['mmseg_semivl', 'rank_dump_hook'],
                              allow_failed_imports=False)
        custom_hooks = [dict(type='RankDumpHook')]
    '''))
    env = dict(os.environ, PYTHON=sys.executable, OMP_NUM_THREADS='1',
               PYTHONPATH=f'{tmp_path}{os.pathsep}{os.environ.get("PYTHONPATH", "")}',
               PORT=str(29500 + os.getpid() % 1000))
    work_dir = tmp_path / 'work'
    result = subprocess.run(
        ['bash', os.path.join(REPO_ROOT, 'tools', 'dist_train.sh'), str(tmp_path / 'dist_cfg.py'),
         '2', '--work-dir', str(work_dir), '--cfg-options', *tiny_train_options(max_iters=3)],
        env=env, capture_output=True, text=True, timeout=600, cwd=REPO_ROOT)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    log = result.stdout + result.stderr
    assert 'Iter(train) [3/3]' in log
    rank0 = torch.load(work_dir / 'rank0.pth', map_location='cpu')
    rank1 = torch.load(work_dir / 'rank1.pth', map_location='cpu')
    assert rank0.keys() == rank1.keys()
    for key in rank0:
        torch.testing.assert_close(rank0[key], rank1[key], rtol=0, atol=0, msg=key)
