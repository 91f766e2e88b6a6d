"""AtomicCheckpointHook: at every instant of a save, the pointer names a complete file.

A crash *inside* a checkpoint write is simulated in-process by making the file backend
write half of the bytes and then raise :class:`_Killed` (a BaseException: no handler
of the code under test may swallow it, as with SIGKILL); what is on disk at that moment
is what a killed process leaves. ``test_kill_and_resume.py`` does the same with a real
SIGKILL in ``tools/train.py``.
"""
import os
import os.path as osp

import mmengine.hooks.checkpoint_hook as checkpoint_hook_module
import mmengine.runner.checkpoint as checkpoint_module
import mmengine.runner.runner as runner_module
import pytest
import torch
from mmengine.fileio import LocalBackend
from mmseg.registry import HOOKS
from toy_runner import toy_runner

from mmseg_semivl.engine.hooks import AtomicCheckpointHook
from mmseg_semivl.engine.runner.atomic_checkpoint import is_checkpoint_temporary
from mmseg_semivl.engine.runner.resume import is_complete_checkpoint


class _Killed(BaseException):
    pass


@pytest.fixture
def kill_inside_write(monkeypatch):
    """``kill_inside_write(target)``: the write of a file named like ``target`` dies halfway."""

    def arm(target):
        original = LocalBackend.put

        def put(backend, obj, filepath):
            if target in osp.basename(str(filepath)):
                with open(filepath, 'wb') as file:
                    file.write(obj[:len(obj) // 2])
                raise _Killed(filepath)
            return original(backend, obj, filepath)

        monkeypatch.setattr(LocalBackend, 'put', put)

    return arm


def _pointer(work_dir):
    return (work_dir / 'last_checkpoint').read_text().strip()


def test_import_patches_nothing_in_mmengine():
    # Crash safety comes from the registered hook, not from replacing MMEngine functions.
    from mmengine.runner.checkpoint import save_checkpoint
    assert runner_module.save_checkpoint is save_checkpoint
    assert checkpoint_module.save_checkpoint.__module__ == 'mmengine.runner.checkpoint'
    assert 'open' not in vars(checkpoint_hook_module)
    # Importing the plugin changes no stock component: configs ask for our hook by name.
    assert HOOKS.get('CheckpointHook') is not AtomicCheckpointHook
    assert HOOKS.get('AtomicCheckpointHook') is AtomicCheckpointHook


@pytest.mark.parametrize('hook_type', ['AtomicCheckpointHook'])
def test_kill_inside_write_with_max_keep_one_keeps_the_previous_checkpoint(
        tmp_path, kill_inside_write, hook_type):
    # MMEngine 0.10.7 deleted iter_1.pth before writing iter_2.pth: nothing was left.
    runner = toy_runner(tmp_path, max_iters=3, checkpoint=dict(
        type=hook_type, interval=1, max_keep_ckpts=1))
    kill_inside_write('iter_2.pth')
    with pytest.raises(_Killed):
        runner.train()
    assert _pointer(tmp_path) == str(tmp_path / 'iter_1.pth')
    assert is_complete_checkpoint(str(tmp_path / 'iter_1.pth'))
    assert torch.load(tmp_path / 'iter_1.pth', map_location='cpu')['meta']['iter'] == 1
    assert not (tmp_path / 'iter_2.pth').exists()  # only its hidden temporary


def test_rotation_deletes_only_after_the_new_file_and_pointer(tmp_path):
    runner = toy_runner(tmp_path, max_iters=3, checkpoint=dict(interval=1, max_keep_ckpts=1))
    runner.train()
    names = sorted(n for n in os.listdir(tmp_path) if n.endswith('.pth'))
    assert names == ['iter_3.pth'] and _pointer(tmp_path) == str(tmp_path / 'iter_3.pth')
    assert not [n for n in os.listdir(tmp_path) if n.endswith('.tmp')]


def test_kill_inside_write_of_a_new_best_keeps_the_previous_best(tmp_path, kill_inside_write):
    runner = toy_runner(tmp_path, max_iters=3, metric_values=[0.1, 0.2, 0.3], checkpoint=dict(
        interval=1, max_keep_ckpts=1, save_best='mIoU', rule='greater'))
    kill_inside_write('best_mIoU_iter_2.pth')
    with pytest.raises(_Killed):
        runner.train()
    best = tmp_path / 'best_mIoU_iter_1.pth'
    assert is_complete_checkpoint(str(best))  # MMEngine had deleted it before the write
    assert _pointer(tmp_path) == str(tmp_path / 'iter_2.pth')
    assert is_complete_checkpoint(_pointer(tmp_path))


def test_best_checkpoint_rotation_after_the_write(tmp_path):
    runner = toy_runner(tmp_path, max_iters=3, metric_values=[0.1, 0.3, 0.2], checkpoint=dict(
        interval=1, max_keep_ckpts=1, save_best='mIoU', rule='greater'))
    runner.train()
    names = sorted(n for n in os.listdir(tmp_path) if n.endswith('.pth'))
    assert names == ['best_mIoU_iter_2.pth', 'iter_3.pth']


def test_stale_temporaries_and_a_repeated_pid_do_not_block_saving(tmp_path, monkeypatch):
    # The trainer is process 1 in a container: an earlier killed run with the same pid
    # left `.iter_1.pth.1.tmp`, which made the old writer fail with FileExistsError.
    monkeypatch.setattr(os, 'getpid', lambda: 1)
    stale = [tmp_path / '.iter_1.pth.1.tmp', tmp_path / '.last_checkpoint.1.tmp',
             tmp_path / '.iter_1.pth.host-a.1.0123456789ab.tmp']
    for path in stale:
        path.write_bytes(b'half a checkpoint')
    unrelated = tmp_path / '.notes.tmp'
    unrelated.write_text('not ours')
    toy_runner(tmp_path, max_iters=1, checkpoint=dict(interval=1)).train()
    assert is_complete_checkpoint(str(tmp_path / 'iter_1.pth'))
    assert not any(path.exists() for path in stale)
    assert unrelated.exists()
    assert is_checkpoint_temporary('.iter_1.pth.host-a.1.0123456789ab.tmp')
    assert not is_checkpoint_temporary('.notes.tmp')


def test_unique_temporary_names_even_with_the_same_pid(tmp_path, monkeypatch):
    from mmseg_semivl.engine.runner.atomic_checkpoint import temporary_name
    monkeypatch.setattr(os, 'getpid', lambda: 1)
    names = {temporary_name(str(tmp_path / 'iter_1.pth')) for _ in range(5)}
    assert len(names) == 5 and all(is_checkpoint_temporary(osp.basename(n)) for n in names)


def test_misspelt_argument_fails_when_the_hook_is_built():
    with pytest.raises(TypeError, match=r"no argument 'intervl' \(did you mean 'interval'\?\)"):
        HOOKS.build(dict(type='AtomicCheckpointHook', intervl=1))


def test_full_disk_message_names_both_files(tmp_path, monkeypatch):
    import errno
    runner = toy_runner(tmp_path, max_iters=2, checkpoint=dict(interval=1, max_keep_ckpts=1))
    original = LocalBackend.put

    def put(backend, obj, filepath):
        if 'iter_2.pth' in osp.basename(str(filepath)):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), filepath)
        return original(backend, obj, filepath)

    monkeypatch.setattr(LocalBackend, 'put', put)
    with pytest.raises(OSError) as info:
        runner.train()
    assert info.value.errno == errno.ENOSPC
    assert str(info.value) == (
        f'no space left on device while writing {tmp_path}/iter_2.pth '
        f'({os.strerror(errno.ENOSPC)}); the previous checkpoint {tmp_path}/iter_1.pth is intact')
    assert is_complete_checkpoint(str(tmp_path / 'iter_1.pth'))
    assert not [n for n in os.listdir(tmp_path) if n.endswith('.tmp')]


def test_resume_true_with_an_empty_pointer_resumes_the_newest_complete(tmp_path, caplog):
    toy_runner(tmp_path, max_iters=4, checkpoint=dict(interval=2)).train()
    (tmp_path / 'last_checkpoint').write_text('')
    runner = toy_runner(tmp_path, max_iters=5, checkpoint=dict(interval=2), resume=True)
    runner.train()
    log = open(runner.logger.handlers[-1].baseFilename).read() if hasattr(
        runner.logger.handlers[-1], 'baseFilename') else ''
    assert runner.iter == 5
    assert f'{tmp_path}/last_checkpoint is empty; resuming from the newest complete ' \
           f'checkpoint {tmp_path}/iter_4.pth instead.' in log
