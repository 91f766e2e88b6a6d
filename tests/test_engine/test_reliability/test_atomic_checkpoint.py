"""Atomic checkpoint writing: a crash mid-save leaves the previous checkpoint intact."""
import os

import pytest
import torch
from mmengine.runner.checkpoint import find_latest_checkpoint

from mmseg_semivl.engine.hooks import AtomicCheckpointHook
from mmseg_semivl.engine.runner.atomic_checkpoint import (atomic_open, atomic_save_checkpoint,
                                                          is_checkpoint_temporary)


class _Crash(Exception):
    pass


def _half_written_save(obj, file, *args, **kwargs):
    """torch.save that dies after writing the first half of the bytes."""
    import io
    buffer = io.BytesIO()
    _real_save(obj, buffer)
    data = buffer.getvalue()
    file.write(data[:len(data) // 2])
    raise _Crash


_real_save = torch.save


def test_crash_while_overwriting_keeps_previous_checkpoint(tmp_path, monkeypatch):
    path = str(tmp_path / 'iter_2.pth')
    atomic_save_checkpoint({'state_dict': {'w': torch.ones(1000)}, 'meta': {'iter': 2}}, path)
    monkeypatch.setattr(torch, 'save', _half_written_save)
    with pytest.raises(_Crash):
        atomic_save_checkpoint({'state_dict': {'w': torch.zeros(1000)}, 'meta': {'iter': 2}}, path)
    monkeypatch.undo()
    loaded = torch.load(path, map_location='cpu')
    assert loaded['meta']['iter'] == 2 and torch.equal(loaded['state_dict']['w'], torch.ones(1000))
    assert os.listdir(tmp_path) == ['iter_2.pth']  # no temporary file left behind


def test_runner_crash_mid_save_keeps_latest_loadable(tmp_path, tiny_run_cfg, monkeypatch):
    """A real SemiVL run: iteration 2's save crashes; last_checkpoint still names iter_1."""
    from mmengine.fileio import LocalBackend
    from mmengine.runner import Runner
    runner = Runner.from_cfg(tiny_run_cfg(tmp_path, max_iters=2, ckpt_interval=1))
    assert any(isinstance(hook, AtomicCheckpointHook) for hook in runner.hooks)
    written = []
    original = LocalBackend.put

    def crash_on_second(backend, obj, filepath):
        written.append(os.path.basename(str(filepath)))
        if len(written) == 2:
            with open(filepath, 'wb') as file:
                file.write(obj[:len(obj) // 2])
            raise _Crash
        original(backend, obj, filepath)

    monkeypatch.setattr(LocalBackend, 'put', crash_on_second)
    with pytest.raises(_Crash):
        runner.train()
    monkeypatch.undo()
    # The hook wrote into hidden, uniquely named temporaries next to the targets.
    assert [name.split('.pth.')[0] for name in written] == ['.iter_1', '.iter_2']
    assert all(is_checkpoint_temporary(name) for name in written)
    latest = find_latest_checkpoint(str(tmp_path))
    assert latest.endswith('iter_1.pth') and not os.path.exists(tmp_path / 'iter_2.pth')
    assert torch.load(latest, map_location='cpu')['meta']['iter'] == 1
    assert not [name for name in os.listdir(tmp_path) if name.endswith('.tmp')]


def test_atomic_open_rewrites_pointer_file_atomically(tmp_path):
    pointer = tmp_path / 'last_checkpoint'
    pointer.write_text('/old/iter_1.pth')
    with pytest.raises(_Crash):
        with atomic_open(str(pointer), 'w') as file:
            file.write('/new/it')
            raise _Crash
    assert pointer.read_text() == '/old/iter_1.pth'
    with atomic_open(str(pointer), 'w') as file:
        file.write('/new/iter_2.pth')
    assert pointer.read_text() == '/new/iter_2.pth'
    with atomic_open(str(pointer)) as file:  # reading is the builtin open
        assert file.read() == '/new/iter_2.pth'
