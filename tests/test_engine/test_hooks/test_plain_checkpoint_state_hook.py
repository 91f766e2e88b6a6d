"""PlainCheckpointStateHook: checkpoints torch's safe loader reads without an allow-list.

A tiny MMEngine runner trains, saves, and its checkpoint is loaded with
``torch.load(weights_only=True)`` in an interpreter that never imported the plugin;
resuming it restores the message hub's scalars and the random generators exactly.
Checkpoints of older plugin versions (HistoryBuffers pickled by the import-time patch
those versions applied, numpy random state) still resume.
"""
import glob
import importlib.util
import json
import os
import os.path as osp
import random
import subprocess
import sys
import textwrap
from collections import OrderedDict
from typing import Dict, Tuple

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.logging import HistoryBuffer, MessageHub

import mmseg_semivl.engine.hooks.exact_resume_hook as exact_resume_hook
from mmseg_semivl.engine.hooks import PlainCheckpointStateHook
from mmseg_semivl.engine.hooks.plain_checkpoint_state_hook import (PLAIN_BUFFER_KEY,
                                                                    buffer_from_plain,
                                                                    buffer_to_plain)
from mmseg_semivl.engine.runner.random_state import get_random_state, set_random_state

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def _toy_runner_module():
    # The toy runner lives beside the reliability tests; pytest puts only this test's
    # own folder on sys.path.
    if 'toy_runner' not in sys.modules:
        path = osp.join(REPO, 'tests', 'test_engine', 'test_reliability', 'toy_runner.py')
        spec = importlib.util.spec_from_file_location('toy_runner', path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules['toy_runner'] = module
    return sys.modules['toy_runner']


toy_runner = _toy_runner_module().toy_runner

Scalars = Dict[str, Tuple[np.ndarray, np.ndarray, int]]


# ------------------------------------------------------------------ the legacy format
# The two functions that older versions of mmseg_semivl/compat.py installed on
# HistoryBuffer at import, copied verbatim: they produce the legacy checkpoints below.
def _history_buffer_getstate(self) -> dict:
    # Stock MMEngine pickles the statistic *functions* (HistoryBuffer.min, ...), which
    # needs `getattr` at load time - a global the safe loader rightly refuses. Only
    # their names are stored; __setstate__ maps names back to the registered methods.
    state = {k: v for k, v in self.__dict__.items() if k != 'statistics_methods'}
    state['statistics_method_names'] = sorted(type(self)._statistics_methods)
    return state


def _history_buffer_setstate(self, state: dict) -> None:
    state = dict(state)
    state.pop('statistics_method_names', None)
    # Checkpoints written by stock MMEngine (weights_only=False loads) carry functions.
    statistics_methods = state.pop('statistics_methods', {})
    self._set_default_statistics()
    self._statistics_methods.update(statistics_methods)
    self.__dict__.update(state)


def _legacy_get_random_state() -> dict:
    state = get_random_state()
    state['numpy'][1] = np.random.get_state()[1].copy()  # older versions: numpy uint32 keys
    return state


@pytest.fixture
def legacy_pickling(monkeypatch):
    """While active, checkpoints are written as older plugin versions wrote them."""
    monkeypatch.setattr(HistoryBuffer, '__getstate__', _history_buffer_getstate)
    monkeypatch.setattr(HistoryBuffer, '__setstate__', _history_buffer_setstate)
    monkeypatch.setattr(exact_resume_hook, 'get_random_state', _legacy_get_random_state)
    return monkeypatch  # .undo() ends it


# ------------------------------------------------------------------ helpers
class Recorder(Hook):
    """Records the message hub's scalars and the random generators of a run."""

    priority = 'LOWEST'  # after CheckpointHook: sees what was just saved

    def __init__(self, snapshot_after: int = 0) -> None:
        self.snapshot_after = snapshot_after
        self.snapshot: Scalars = {}
        self.at_start: Scalars = {}
        self.rng: Dict[int, tuple] = {}

    def before_train(self, runner) -> None:
        self.at_start = scalars_of(runner.message_hub)  # after a resume: the loaded hub

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        self.rng[runner.iter] = (torch.get_rng_state(), np.random.get_state(),
                                 random.getstate())

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if runner.iter + 1 == self.snapshot_after:
            self.snapshot = scalars_of(runner.message_hub)


def scalars_of(hub: MessageHub) -> Scalars:
    return {key: (buf.data[0].copy(), buf.data[1].copy(), buf.max_length)
            for key, buf in hub.log_scalars.items()}


def assert_same_scalars(actual: Scalars, expected: Scalars) -> None:
    assert set(actual) == set(expected) and expected
    for key, (log, count, max_length) in expected.items():
        got_log, got_count, got_max = actual[key]
        assert got_log.dtype == log.dtype and got_count.dtype == count.dtype, key
        np.testing.assert_array_equal(got_log, log, err_msg=key)
        np.testing.assert_array_equal(got_count, count, err_msg=key)
        assert got_max == max_length, key


def assert_same_rng(actual: tuple, expected: tuple) -> None:
    assert torch.equal(actual[0], expected[0])
    assert actual[1][0] == expected[1][0] and actual[1][2:] == expected[1][2:]
    np.testing.assert_array_equal(actual[1][1], expected[1][1])
    assert actual[2] == expected[2]


def hooks(*extra) -> list:
    return [dict(type='ExactResumeHook'), dict(type='PlainCheckpointStateHook'), *extra]


def run_python(code: str) -> subprocess.CompletedProcess:
    """A fresh interpreter that imports neither the plugin nor MMEngine."""
    env = dict(os.environ, OMP_NUM_THREADS='1')
    return subprocess.run([sys.executable, '-c', textwrap.dedent(code)], capture_output=True,
                          text=True, env=env, timeout=300, cwd=str(REPO))


LOAD_WITHOUT_PLUGIN = '''
import json, sys, torch
ckpt = torch.load({path!r}, map_location='cpu', weights_only=True)
assert 'mmseg_semivl' not in sys.modules and 'mmengine' not in sys.modules
loss = ckpt['message_hub']['log_scalars']['train/loss']
print(json.dumps(dict(
    kinds=sorted({{type(v).__name__ for v in ckpt['message_hub']['log_scalars'].values()}}),
    marker=loss['__history_buffer__'], dtype=str(loss['log_history'].dtype),
    loss=loss['log_history'].tolist(), iter=ckpt['meta']['iter'],
    numpy_keys=str(ckpt['random_state']['ranks'][0]['numpy'][1].dtype))))
'''


# ------------------------------------------------------------------ unit behaviour
def test_buffer_round_trip_is_exact_and_the_save_leaves_the_live_hub_alone():
    hub = MessageHub(f'plain_{id(object())}')
    for value in (0.1, 1 / 3, 2.5e-300):
        hub.update_scalar('train/loss', value)
    hub.update_scalar('train/count', 7, count=3)
    hub.update_info('iter', 3)
    hub.update_info('arr', np.arange(3, dtype=np.float32))
    live = hub.log_scalars['train/loss']
    before = scalars_of(hub)
    checkpoint = dict(message_hub=hub.state_dict(),
                      meta=dict(seed=np.int64(5), lr=np.float64(0.5), iter=3,
                                dataset_meta=dict(classes=('a', 'b'),
                                                  palette=np.array([[1, 2, 3]], np.uint8))))

    PlainCheckpointStateHook().before_save_checkpoint(None, checkpoint)

    plain = checkpoint['message_hub']['log_scalars']['train/loss']
    assert plain[PLAIN_BUFFER_KEY] == 1 and plain['max_length'] == live.max_length
    assert plain['log_history'].dtype == torch.float64
    assert plain['log_history'].tolist() == [0.1, 1 / 3, 2.5e-300]
    assert plain['count_history'].tolist() == [1, 1, 1]
    assert checkpoint['message_hub']['log_scalars']['train/count']['count_history'].tolist() == [3]
    assert torch.equal(checkpoint['message_hub']['runtime_info']['arr'],
                       torch.arange(3, dtype=torch.float32))
    meta = checkpoint['meta']
    assert type(meta['seed']) is int and meta['seed'] == 5
    assert type(meta['lr']) is float and meta['lr'] == 0.5
    assert meta['dataset_meta']['classes'] == ('a', 'b')
    assert meta['dataset_meta']['palette'].dtype == torch.uint8
    assert meta['dataset_meta']['palette'].tolist() == [[1, 2, 3]]
    # The runner's own hub still holds its HistoryBuffers and numpy values.
    assert hub.log_scalars['train/loss'] is live and isinstance(live, HistoryBuffer)
    assert isinstance(hub.get_info('arr'), np.ndarray)
    assert_same_scalars(scalars_of(hub), before)

    PlainCheckpointStateHook().after_load_checkpoint(None, checkpoint)
    restored = checkpoint['message_hub']['log_scalars']
    assert all(isinstance(v, HistoryBuffer) for v in restored.values())
    assert_same_scalars({k: (v.data[0], v.data[1], v.max_length) for k, v in restored.items()},
                        before)
    assert restored['train/loss'].mean() == live.mean()


def test_integer_histories_keep_their_dtype_and_unknown_formats_are_refused():
    buffer = HistoryBuffer(log_history=[1, 2, 3], count_history=[1, 1, 2], max_length=5)
    back = buffer_from_plain(buffer_to_plain(buffer))
    assert back.data[0].dtype == np.int64 and back.data[0].tolist() == [1, 2, 3]
    assert back.data[1].tolist() == [1, 1, 2] and back.max_length == 5
    with pytest.raises(ValueError, match='unknown HistoryBuffer format 2'):
        buffer_from_plain(dict(buffer_to_plain(buffer), **{PLAIN_BUFFER_KEY: 2}))


def test_random_state_is_tensors_and_old_numpy_keys_still_restore():
    state = get_random_state()
    keys = state['numpy'][1]
    assert isinstance(keys, torch.Tensor) and keys.dtype == torch.int64
    np.testing.assert_array_equal(keys.numpy(), np.random.get_state()[1])
    expected = np.random.random(3)
    set_random_state(state)
    np.testing.assert_array_equal(np.random.random(3), expected)
    old = dict(state, numpy=[state['numpy'][0], keys.numpy().astype(np.uint32),
                             *state['numpy'][2:]])
    set_random_state(old)
    np.testing.assert_array_equal(np.random.random(3), expected)


def test_hook_saves_after_every_other_hook(tmp_path):
    runner = toy_runner(tmp_path, max_iters=1, checkpoint=dict(interval=1),
                        custom_hooks=hooks(dict(type='CheckpointCompatibilityHook')))
    names = [type(h).__name__ for h in runner.hooks]
    assert names[-1] == 'PlainCheckpointStateHook', names
    assert names.index('ExactResumeHook') < names.index('AtomicCheckpointHook') < len(names) - 1


def test_every_shipped_training_config_lists_the_hook():
    configs = [f for f in glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
               if f'{os.sep}_base_{os.sep}' not in f]
    missing = []
    for path in configs:
        cfg = Config.fromfile(path)
        types = [h['type'] for h in cfg.get('custom_hooks', [])]
        if 'train_cfg' in cfg and 'PlainCheckpointStateHook' not in types:
            missing.append(osp.relpath(path, REPO))
    assert configs and not missing


# ------------------------------------------------------------------ a real runner
def test_checkpoint_loads_without_the_plugin_and_resumes_exactly(tmp_path):
    first = Recorder(snapshot_after=2)
    runner = toy_runner(tmp_path / 'a', max_iters=4, checkpoint=dict(interval=2),
                        custom_hooks=hooks(first))
    runner.train()
    path = tmp_path / 'a' / 'iter_2.pth'
    # The runner keeps its HistoryBuffers (only the checkpoint's copy is plain).
    assert all(isinstance(v, HistoryBuffer) for v in runner.message_hub.log_scalars.values())

    loaded = run_python(LOAD_WITHOUT_PLUGIN.format(path=str(path)))
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    summary = json.loads(loaded.stdout)
    assert summary['kinds'] == ['dict'] and summary['marker'] == 1
    assert summary['dtype'] == 'torch.float64' and summary['iter'] == 2
    assert summary['loss'] == first.snapshot['train/loss'][0].tolist()
    assert summary['numpy_keys'] == 'torch.int64'

    resumed = Recorder()
    again = toy_runner(tmp_path / 'b', max_iters=4, checkpoint=dict(interval=2), resume=True,
                       load_from=str(path), custom_hooks=hooks(resumed))
    again.train()
    assert_same_scalars(resumed.at_start, first.snapshot)
    assert sorted(resumed.rng) == [2, 3]
    for it in (2, 3):  # the generators continue where the first run was at that iteration
        assert_same_rng(resumed.rng[it], first.rng[it])
    # The losses of iterations 3-4 are appended to the restored history: as one run.
    np.testing.assert_array_equal(again.message_hub.get_scalar('train/loss').data[0],
                                  runner.message_hub.get_scalar('train/loss').data[0])


def test_legacy_checkpoint_still_loads_and_resumes(tmp_path, legacy_pickling):
    first = Recorder(snapshot_after=2)
    # Older versions' configs: no PlainCheckpointStateHook; the patch did the pickling.
    toy_runner(tmp_path / 'a', max_iters=4, checkpoint=dict(interval=2),
               custom_hooks=[dict(type='ExactResumeHook'), first]).train()
    legacy_pickling.undo()
    assert HistoryBuffer.__getstate__.__module__ == 'mmengine.logging.history_buffer'
    path = tmp_path / 'a' / 'iter_2.pth'

    # Legacy content: refused without the plugin's allow-list, read with it.
    refused = run_python(f'import torch; torch.load({str(path)!r}, weights_only=True)')
    assert refused.returncode != 0 and 'HistoryBuffer' in refused.stderr
    ckpt = torch.load(path, map_location='cpu', weights_only=True)
    legacy = ckpt['message_hub']['log_scalars']['train/loss']
    assert isinstance(legacy, HistoryBuffer) and 'statistics_method_names' in vars(legacy)
    assert isinstance(ckpt['random_state']['ranks'][0]['numpy'][1], np.ndarray)

    resumed = Recorder()
    again = toy_runner(tmp_path / 'b', max_iters=4, checkpoint=dict(interval=2), resume=True,
                       load_from=str(path), custom_hooks=hooks(resumed))
    again.train()
    assert_same_scalars(resumed.at_start, first.snapshot)
    for buffer in again.message_hub.log_scalars.values():
        assert 'statistics_method_names' not in vars(buffer)
        assert set(vars(buffer)) <= {'max_length', '_log_history', '_count_history',
                                     'statistics_methods'}
    for it in (2, 3):
        assert_same_rng(resumed.rng[it], first.rng[it])
    # Its own checkpoint is plain again.
    assert torch.load(tmp_path / 'b' / 'iter_4.pth', map_location='cpu', weights_only=True)[
        'message_hub']['log_scalars']['train/loss'][PLAIN_BUFFER_KEY] == 1


def test_message_hub_state_keeps_key_order():
    state = dict(log_scalars=OrderedDict([('b', HistoryBuffer([1.0], [1])),
                                          ('a', HistoryBuffer([2.0], [1]))]),
                 runtime_info=OrderedDict(iter=1), resumed_keys=OrderedDict(b=True, a=True))
    checkpoint = dict(message_hub=state)
    PlainCheckpointStateHook().before_save_checkpoint(None, checkpoint)
    assert list(checkpoint['message_hub']['log_scalars']) == ['b', 'a']
    assert checkpoint['message_hub']['resumed_keys'] == state['resumed_keys']
    assert checkpoint['message_hub']['resumed_keys'] is not state['resumed_keys']


def test_a_config_without_the_hook_gets_it_from_the_train_tool():
    from mmengine.config import Config

    from mmseg_semivl.engine.hooks import PlainCheckpointStateHook, ensure_plain_checkpoint_state
    cfg = Config(dict(custom_hooks=[dict(type='ExactResumeHook')]))
    assert ensure_plain_checkpoint_state(cfg) is True
    assert [h['type'] for h in cfg.custom_hooks] == ['ExactResumeHook',
                                                     'PlainCheckpointStateHook']
    assert ensure_plain_checkpoint_state(cfg) is False  # once
    for hooks in (None, [PlainCheckpointStateHook()],
                  [dict(type='mmseg.PlainCheckpointStateHook')]):
        cfg = Config(dict(custom_hooks=hooks)) if hooks is not None else Config(dict())
        added = ensure_plain_checkpoint_state(cfg)
        assert added is (hooks is None)
        assert len(cfg.custom_hooks) == (1 if hooks is None else len(hooks))
