"""tools/dist_train.sh on a UDA config: two CPU processes (gloo) train DACS and keep the
student and the EMA teacher identical on both ranks."""
import os
import subprocess
import sys
import textwrap

import torch

from test_dist_train import RANK_DUMP_HOOK
import pytest

pytestmark = pytest.mark.e2e

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UDA_DEMO = os.path.join(REPO_ROOT, 'configs', 'demo', 'dacs_scenes_uda_demo.py')


def test_two_process_dacs_keeps_student_and_teacher_identical(tmp_path):
    from mmseg_semivl.demo.uda_scenes import write_uda_scene_task
    data = write_uda_scene_task(str(tmp_path / 'data'), 8, 8, 2)['root']
    (tmp_path / 'rank_dump_hook.py').write_text(RANK_DUMP_HOOK)
    (tmp_path / 'dist_cfg.py').write_text(textwrap.dedent(f'''
        _base_ = [{UDA_DEMO!r}]
        custom_imports = dict(imports=['mmseg_semivl', 'mmseg_semivl.evaluation',
                                       'rank_dump_hook'], allow_failed_imports=False)
        custom_hooks = [dict(type='EMATeacherHook', momentum=0.01, warm_up=True),
                        dict(type='RankDumpHook')]
    '''))
    root = f'{data}'
    options = [f'train_dataloader.dataset.datasets.0.data_root={root}',
               f'train_dataloader.dataset.datasets.1.data_root={root}',
               f'val_dataloader.dataset.data_root={root}',
               f'test_dataloader.dataset.data_root={root}',
               'train_cfg.max_iters=3', 'train_cfg.val_interval=100',
               'default_hooks.checkpoint.interval=100', 'default_hooks.logger.interval=1',
               'randomness.seed=0']
    env = dict(os.environ, PYTHON=sys.executable, OMP_NUM_THREADS='1',
               PYTHONPATH=f'{tmp_path}{os.pathsep}{os.environ.get("PYTHONPATH", "")}',
               PORT=str(29500 + (os.getpid() + 7) % 1000))
    work_dir = tmp_path / 'work'
    result = subprocess.run(
        ['bash', os.path.join(REPO_ROOT, 'tools', 'dist_train.sh'), str(tmp_path / 'dist_cfg.py'),
         '2', '--work-dir', str(work_dir), '--cfg-options', *options],
        env=env, capture_output=True, text=True, timeout=600, cwd=REPO_ROOT)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert 'Iter(train) [3/3]' in result.stdout + result.stderr
    rank0 = torch.load(work_dir / 'rank0.pth', map_location='cpu')
    rank1 = torch.load(work_dir / 'rank1.pth', map_location='cpu')
    assert rank0.keys() == rank1.keys() and any(k.startswith('teacher.') for k in rank0)
    # Parameters (student: DDP-synchronised gradients; teacher: EMA of those) are equal
    # bit for bit. BN running statistics are per rank (each rank's last batches), as
    # with any non-synchronised BN; configs for several GPUs can use SyncBN.
    params = [k for k in rank0 if 'running_' not in k and 'num_batches_tracked' not in k]
    assert any(k.startswith('teacher.') for k in params)
    for key in params:
        torch.testing.assert_close(rank0[key], rank1[key], rtol=0, atol=0, msg=key)
