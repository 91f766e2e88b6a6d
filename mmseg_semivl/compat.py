"""Environment fixes applied once, on ``import mmseg_semivl``, before anything else.

Each fix is small, idempotent, targets one known incompatibility of the pinned
stack, and leaves working installations untouched:

* :func:`install_mmcv_ext_stub` - ``mmcv-lite`` ships no compiled ``mmcv._ext``,
  yet ``mmseg`` imports ``mmcv.ops`` (which loads it) at import time. A stand-in
  module lets the import succeed; calling any compiled op raises a clear error.
  With full ``mmcv`` installed the real extension is found and nothing happens.
* :func:`allow_legacy_checkpoint_globals` - torch >= 2.6 loads with
  ``weights_only=True``. Checkpoints written by older versions of this plugin hold
  ``HistoryBuffer`` objects and numpy arrays/scalars; those classes are registered in
  torch's allow-list (a registration, no behaviour of torch or MMEngine changes) so
  that such files still resume. New checkpoints need no allow-list: the registered
  :class:`~mmseg_semivl.engine.hooks.PlainCheckpointStateHook` saves the message hub
  as plain data.

CPU-only distributed runs are not patched here: ``tools/train.py`` / ``tools/test.py``
call :func:`~mmseg_semivl.engine.model_wrappers.setup_cpu_distributed` (gloo process
group, a DDP wrapper without ``device_ids``, SyncBN reverted).
"""
from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
import types
from typing import Any, Callable

import torch

MMCV_EXT = 'mmcv._ext'


class MissingCompiledOpError(RuntimeError):
    """Raised when a compiled mmcv op is called but only mmcv-lite is installed."""


class _MissingExtModule(types.ModuleType):
    """Stand-in for ``mmcv._ext``: every attribute is a function that raises."""

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith('__'):
            raise AttributeError(name)

        def missing_op(*args: Any, **kwargs: Any) -> Any:
            raise MissingCompiledOpError(
                f'mmcv compiled op "{name}" was called, but the installed mmcv '
                'has no compiled extension (mmcv._ext); this is the case for '
                'mmcv-lite. Install full mmcv with CUDA ops, e.g. `pip uninstall '
                'mmcv-lite && mim install "mmcv>=2.0.0rc4,<2.2.0"`.')

        missing_op.__name__ = name
        return missing_op


def _has_real_mmcv_ext() -> bool:
    if MMCV_EXT in sys.modules:
        return not isinstance(sys.modules[MMCV_EXT], _MissingExtModule)
    if importlib.util.find_spec('mmcv') is None:
        return False
    return importlib.util.find_spec(MMCV_EXT) is not None


def install_mmcv_ext_stub() -> bool:
    """Register a stand-in ``mmcv._ext`` when the compiled extension is absent.

    Returns:
        bool: True if the stand-in was installed (now or before), False when a
        real compiled extension exists (full mmcv) or mmcv is not installed.
    """
    if _has_real_mmcv_ext() or importlib.util.find_spec('mmcv') is None:
        return False
    if MMCV_EXT not in sys.modules:
        module = _MissingExtModule(MMCV_EXT, 'Stand-in for the missing compiled mmcv ops.')
        # A real spec keeps importlib.util.find_spec('mmcv._ext') and tools that
        # inspect modules (pickle, inspect, torch.package) working.
        module.__spec__ = importlib.machinery.ModuleSpec(MMCV_EXT, loader=None)
        module.__file__ = __file__
        sys.modules[MMCV_EXT] = module
    return True


def legacy_checkpoint_globals() -> list:
    """Classes and functions that checkpoints of older plugin versions pickle besides tensors.

    Those versions pickled ``HistoryBuffer`` objects (statistic methods by name, no
    function references) and numpy arrays/scalars in the message hub, ``meta`` and the
    random state.
    """
    import numpy as np
    from mmengine.logging import HistoryBuffer

    try:  # numpy >= 2
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core.multiarray import _reconstruct, scalar
    safe = [HistoryBuffer, np.ndarray, np.dtype, _reconstruct, scalar]
    # numpy >= 1.25 pickles dtypes through their concrete classes.
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        safe += [getattr(dtypes, name) for name in dir(dtypes) if name.endswith('DType')]
    return safe


def allow_legacy_checkpoint_globals() -> bool:
    """Let ``torch.load(weights_only=True)`` read checkpoints of older plugin versions.

    Registers :func:`legacy_checkpoint_globals` in torch's allow-list; MMEngine and
    ``HistoryBuffer`` are left as they are. Checkpoints written now carry no such
    objects (:class:`~mmseg_semivl.engine.hooks.PlainCheckpointStateHook`). Files
    saved without that hook by stock MMEngine reference ``HistoryBuffer``'s statistic
    functions (``getattr``), which stays refused; torch's error explains how to load
    them if trusted.

    Returns:
        bool: False on torch versions without ``add_safe_globals`` (< 2.4),
        which load with ``weights_only=False`` anyway.
    """
    add_safe_globals = getattr(torch.serialization, 'add_safe_globals', None)
    if add_safe_globals is None:
        return False
    add_safe_globals(legacy_checkpoint_globals())
    return True


def apply() -> None:
    """Apply every fix (idempotent). Called by ``mmseg_semivl/__init__.py``."""
    install_mmcv_ext_stub()
    allow_legacy_checkpoint_globals()
