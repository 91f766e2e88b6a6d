"""Each compatibility fix works, and is needed: the same action fails without it."""
import os
import socket
import subprocess
import sys
import textwrap
import types

import numpy as np
import pytest
import torch

import mmseg_semivl  # noqa: F401
from mmseg_semivl import compat

PYTHON = sys.executable
HAS_REAL_MMCV_EXT = not isinstance(sys.modules.get('mmcv._ext'), compat._MissingExtModule)


def run_python(code: str) -> subprocess.CompletedProcess:
    """Run code in a fresh interpreter (no plugin imported unless the code does)."""
    env = dict(os.environ, OMP_NUM_THREADS='1')
    return subprocess.run([PYTHON, '-c', textwrap.dedent(code)], capture_output=True,
                          text=True, env=env, timeout=300)


# ----------------------------------------------------------------- mmcv._ext stand-in
@pytest.mark.skipif(HAS_REAL_MMCV_EXT, reason='full mmcv installed: no stand-in needed')
def test_mmseg_import_fails_without_stub_and_works_with_it():
    without = run_python('import mmseg.models')
    assert without.returncode != 0
    assert "No module named 'mmcv._ext'" in without.stderr
    with_plugin = run_python('import mmseg_semivl, mmseg.models; print("ok")')
    assert with_plugin.returncode == 0, with_plugin.stderr
    assert with_plugin.stdout.strip() == 'ok'


@pytest.mark.skipif(HAS_REAL_MMCV_EXT, reason='full mmcv installed: no stand-in needed')
def test_stub_has_spec_and_compiled_op_raises_clear_error():
    import importlib.util

    import mmcv.ops
    spec = importlib.util.find_spec('mmcv._ext')
    assert spec is not None and spec.name == 'mmcv._ext'
    with pytest.raises(compat.MissingCompiledOpError, match='nms.*mmcv-lite'):
        mmcv.ops.nms(torch.rand(3, 4), torch.rand(3), 0.5)


def test_stub_never_replaces_a_real_extension(monkeypatch):
    real = types.ModuleType('mmcv._ext')
    monkeypatch.setitem(sys.modules, 'mmcv._ext', real)
    assert compat.install_mmcv_ext_stub() is False
    assert sys.modules['mmcv._ext'] is real


# ----------------------------------------------------------------- checkpoint loading
def test_import_leaves_history_buffer_pickling_to_mmengine():
    # Older versions replaced HistoryBuffer.__getstate__/__setstate__ at import; now
    # PlainCheckpointStateHook (a registered hook) makes checkpoints safe-loadable.
    from mmengine.logging import HistoryBuffer
    for name in ('__getstate__', '__setstate__'):
        method = vars(HistoryBuffer)[name]
        assert method.__module__ == 'mmengine.logging.history_buffer', name
        assert method.__qualname__ == f'HistoryBuffer.{name}', name
    fresh = run_python('''
        import mmseg_semivl
        from mmengine.logging import HistoryBuffer
        print(HistoryBuffer.__getstate__.__module__, HistoryBuffer.__setstate__.__module__)
    ''')
    assert fresh.returncode == 0, fresh.stderr
    assert fresh.stdout.split() == ['mmengine.logging.history_buffer'] * 2


# What checkpoints of older plugin versions hold besides tensors: numpy scalars in meta,
# numpy arrays (the random state's keys); HistoryBuffers, see
# tests/test_engine/test_hooks/test_plain_checkpoint_state_hook.py.
LEGACY_CODE = '''
import numpy as np, torch
state = dict(meta=dict(seed=np.int64(3), iter=3),
             random_state=dict(numpy=['MT19937', np.random.get_state()[1].copy(), 624, 0, 0.0]),
             arr=np.arange(4, dtype=np.float32))
torch.save(state, {path!r})
'''


def test_legacy_numpy_checkpoint_needs_the_allow_list(tmp_path):
    path = str(tmp_path / 'ckpt.pth')
    made = run_python(LEGACY_CODE.format(path=path))
    assert made.returncode == 0, made.stderr
    # torch's default safe loader refuses the numpy objects ...
    without = run_python(f'import torch; torch.load({path!r})')
    assert without.returncode != 0
    assert 'weights_only' in without.stderr.lower() or 'unpickl' in without.stderr.lower()
    # ... and reads them once the plugin has registered those classes.
    loaded = torch.load(path)
    assert loaded['meta']['seed'] == 3
    np.testing.assert_array_equal(loaded['arr'], np.arange(4, dtype=np.float32))
    assert loaded['random_state']['numpy'][1].dtype == np.uint32


def test_stock_history_buffer_pickle_stays_refused(tmp_path):
    """The allow-list holds classes, never ``getattr``: stock MMEngine's pickle stays refused."""
    from mmengine.logging import MessageHub
    hub = MessageHub(f'stock_{id(tmp_path)}')
    hub.update_scalar('train/loss', 0.5)
    path = tmp_path / 'stock.pth'
    torch.save(dict(message_hub=hub.state_dict()), path)
    with pytest.raises(Exception, match='getattr'):
        torch.load(path, weights_only=True)


# ----------------------------------------------------------------- CPU distributed
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


DDP_CODE = '''
import os, torch
os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT='{port}', RANK='0', LOCAL_RANK='0',
                  WORLD_SIZE='1')
{plugin}
from mmengine.config import Config
from mmengine.registry import MODEL_WRAPPERS
model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 1), torch.nn.SyncBatchNorm(4))
{setup}
wrapper = dict(cfg.model_wrapper_cfg)
ddp = MODEL_WRAPPERS.build(wrapper, default_args=dict(module=model, device_ids=[0]))
out = ddp(torch.rand(2, 3, 4, 4))
print('ok', torch.distributed.get_backend(), type(ddp).__name__, type(ddp.module[1]).__name__)
'''
STOCK_SETUP = """
from mmengine.dist import init_dist
init_dist('pytorch', backend='nccl')  # what MMEngine's runner does
cfg = Config(dict(model_wrapper_cfg=dict(type='MMDistributedDataParallel')))
"""
PLUGIN_SETUP = """
from mmseg_semivl.engine.model_wrappers import setup_cpu_distributed
cfg = Config(dict())
assert setup_cpu_distributed(cfg, 'pytorch')
"""


@pytest.mark.skipif(torch.cuda.is_available(), reason='the CPU path only applies without CUDA')
def test_cpu_distributed_is_an_explicit_setup_step():
    # Importing the plugin patches nothing: MMEngine's own path still needs CUDA ...
    without = run_python(DDP_CODE.format(port=free_port(), plugin='import mmseg_semivl',
                                         setup=STOCK_SETUP))
    assert without.returncode != 0
    assert any(word in without.stderr for word in ('CUDA', 'cuda', 'NCCL', 'nccl', 'device_ids'))
    # ... and the tools' setup step (gloo, a wrapper without device_ids, SyncBN -> BN) works.
    with_setup = run_python(DDP_CODE.format(port=free_port(), plugin='import mmseg_semivl',
                                            setup=PLUGIN_SETUP))
    assert with_setup.returncode == 0, with_setup.stderr[-2000:]
    assert with_setup.stdout.split() == ['ok', 'gloo', 'CPUDistributedDataParallel',
                                         '_BatchNormXd']


def test_setup_cpu_distributed_keeps_custom_wrappers_and_refuses_unknown_ones():
    from mmengine.config import Config

    from mmseg_semivl.engine.model_wrappers import setup_cpu_distributed
    cfg = Config(dict(model_wrapper_cfg=dict(type='MMDistributedDataParallel')))
    assert setup_cpu_distributed(cfg, 'none') is False
    assert cfg.model_wrapper_cfg.type == 'MMDistributedDataParallel'
    if torch.cuda.is_available():
        return
    with pytest.raises(ValueError, match='--launcher slurm needs GPUs'):
        setup_cpu_distributed(cfg, 'slurm')
    # Checked before any process group is opened.
    cfg = Config(dict(model_wrapper_cfg=dict(type='MMSeparateDistributedDataParallel')))
    with pytest.raises(ValueError, match="'MMSeparateDistributedDataParallel' cannot wrap CPU"):
        setup_cpu_distributed(cfg, 'pytorch')
    assert not torch.distributed.is_initialized()


def test_apply_is_idempotent_and_patches_no_distributed_code():
    import mmengine.dist.utils as dist_utils
    from mmengine.model import MMDistributedDataParallel
    compat.apply()
    compat.apply()
    assert dist_utils._init_dist_pytorch.__module__ == 'mmengine.dist.utils'
    assert MMDistributedDataParallel.__init__.__module__ == 'mmengine.model.wrappers.distributed'
