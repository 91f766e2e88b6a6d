"""Capture and restore every random stream a training step draws from."""
from __future__ import annotations

import random
from typing import Any, Dict

import numpy as np
import torch

RandomState = Dict[str, Any]


def get_random_state() -> RandomState:
    """Snapshot the global random generators of this process.

    Covers Python's ``random`` (used by some transforms), NumPy's legacy global
    generator (MMCV/MMSeg transforms with ``num_workers=0``), torch's CPU generator
    (dropout, CutMix boxes, DataLoader seeds) and, when present, the CUDA generators.

    Returns:
        dict: ``{'python', 'numpy', 'torch', 'cuda'}`` of lists, Python scalars and
        tensors only, which ``torch.load(weights_only=True)`` reads without any
        allow-list.
    """
    numpy_state = np.random.get_state()
    return {
        'python': _python_state_to_list(random.getstate()),
        # ('MT19937', keys uint32[624], pos, has_gauss, cached_gaussian); the keys as an
        # int64 tensor (exact for uint32), not a numpy array the safe loader refuses.
        'numpy': [numpy_state[0], torch.from_numpy(numpy_state[1].astype(np.int64)),
                  int(numpy_state[2]), int(numpy_state[3]), float(numpy_state[4])],
        'torch': torch.get_rng_state(),
        'cuda': torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }


def set_random_state(state: RandomState) -> None:
    """Restore a snapshot of :func:`get_random_state`.

    Args:
        state (dict): A snapshot. CUDA states are restored only when the number of
            visible devices matches (a CPU checkpoint resumed on GPU keeps its seeds).
            NumPy's keys may be a tensor or, in checkpoints of older versions, a
            numpy array.
    """
    random.setstate(_python_state_from_list(state['python']))
    np.random.set_state(_numpy_state_from_list(state['numpy']))
    # .cpu(): resume maps a checkpoint's tensors to the training device.
    torch.set_rng_state(state['torch'].cpu())
    cuda = state.get('cuda') or []
    if cuda and torch.cuda.is_available() and len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(cuda)


def _numpy_state_from_list(state: list) -> tuple:
    name, keys, pos, has_gauss, cached_gaussian = state
    if isinstance(keys, torch.Tensor):
        keys = keys.cpu().numpy()
    return name, np.asarray(keys).astype(np.uint32), pos, has_gauss, cached_gaussian


def _python_state_to_list(state: tuple) -> list:
    # random.getstate() = (version, tuple of 625 ints, gauss_next); lists of ints
    # pickle without globals, so the safe checkpoint loader accepts them.
    version, internal, gauss_next = state
    return [version, list(internal), gauss_next]


def _python_state_from_list(state: list) -> tuple:
    version, internal, gauss_next = state
    return version, tuple(internal), gauss_next
