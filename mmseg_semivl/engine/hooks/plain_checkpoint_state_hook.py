"""Checkpoints whose message hub torch's safe loader reads without any allow-list."""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Dict

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.logging import HistoryBuffer
from mmseg.registry import HOOKS

# Marks a HistoryBuffer written as plain data; the value is the format version.
PLAIN_BUFFER_KEY = '__history_buffer__'
PLAIN_BUFFER_VERSION = 1
# Older versions of this plugin pickled HistoryBuffers with the names of their statistic
# methods; MMEngine's own __setstate__ then leaves them behind as an attribute.
LEGACY_BUFFER_ATTRIBUTE = 'statistics_method_names'


def to_plain(obj: Any) -> Any:
    """Copy ``obj`` with numpy arrays as tensors and numpy scalars as Python scalars.

    Dicts, lists and tuples are rebuilt (the input is never modified); any other
    object is returned as it is.

    Args:
        obj: A value of a checkpoint (``meta``, message-hub runtime information).

    Returns:
        The converted copy.
    """
    # np.float64 subclasses float: numpy types are tested before the containers.
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return _array_to_plain(obj)
    if isinstance(obj, dict):
        items = ((to_plain(k), to_plain(v)) for k, v in obj.items())
        return OrderedDict(items) if isinstance(obj, OrderedDict) else dict(items)
    if isinstance(obj, list):
        return [to_plain(v) for v in obj]
    if type(obj) is tuple:  # namedtuples keep their class (not safe-loadable anyway)
        return tuple(to_plain(v) for v in obj)
    return obj


def _array_to_plain(array: np.ndarray) -> Any:
    try:
        return _array_to_tensor(array)
    except (TypeError, ValueError):
        # Strings, objects, dates: torch has no such dtype; nested lists keep the values.
        return to_plain(array.tolist())


def _array_to_tensor(array: np.ndarray) -> torch.Tensor:
    # A C-contiguous, native-byte-order copy: torch.from_numpy accepts it and the
    # tensor shares no memory with the caller's array.
    native = array.astype(array.dtype.newbyteorder('='), order='C', copy=True)
    return torch.from_numpy(native)


def buffer_to_plain(buffer: HistoryBuffer) -> Dict[str, Any]:
    """The plain-data form of a ``HistoryBuffer``, values and dtypes exact.

    Args:
        buffer (HistoryBuffer): Left unchanged.

    Returns:
        dict: ``{PLAIN_BUFFER_KEY: 1, 'log_history': Tensor, 'count_history': Tensor,
        'max_length': int}``; the tensors have the dtypes of the buffer's arrays
        (float64 for values logged with ``update``).

    Raises:
        TypeError: A history holds something other than numbers (only possible
            when a buffer was built with such data directly).
    """
    log_history, count_history = buffer.data
    try:
        log, count = _array_to_tensor(log_history), _array_to_tensor(count_history)
    except (TypeError, ValueError) as error:
        raise TypeError(f'PlainCheckpointStateHook: a HistoryBuffer holds non-numeric '
                        f'values ({log_history.dtype}, {count_history.dtype}); it cannot '
                        'be saved as tensors') from error
    return {PLAIN_BUFFER_KEY: PLAIN_BUFFER_VERSION, 'log_history': log,
            'count_history': count, 'max_length': int(buffer.max_length)}


def is_plain_buffer(value: Any) -> bool:
    """Whether ``value`` is the output of :func:`buffer_to_plain`."""
    return isinstance(value, dict) and PLAIN_BUFFER_KEY in value


def buffer_from_plain(plain: Dict[str, Any]) -> HistoryBuffer:
    """Rebuild the ``HistoryBuffer`` of :func:`buffer_to_plain` (same values and dtypes)."""
    version = plain[PLAIN_BUFFER_KEY]
    if version != PLAIN_BUFFER_VERSION:
        raise ValueError(f'PlainCheckpointStateHook: unknown HistoryBuffer format {version} '
                         f'(this version reads {PLAIN_BUFFER_VERSION}); the checkpoint was '
                         'written by a newer mmseg-semivl')
    # .cpu(): resume maps the checkpoint's tensors to the training device.
    return HistoryBuffer(log_history=plain['log_history'].cpu().numpy(),
                         count_history=plain['count_history'].cpu().numpy(),
                         max_length=plain['max_length'])


def repair_legacy_buffer(buffer: HistoryBuffer) -> HistoryBuffer:
    """Drop the attribute that buffers pickled by older plugin versions bring along."""
    buffer.__dict__.pop(LEGACY_BUFFER_ATTRIBUTE, None)
    return buffer


def message_hub_to_plain(state: Dict[str, Any]) -> Dict[str, Any]:
    """A copy of ``MessageHub.state_dict()`` made of plain data and tensors only."""
    plain = {key: to_plain(value) for key, value in state.items() if key != 'log_scalars'}
    plain['log_scalars'] = OrderedDict(
        (key, buffer_to_plain(value) if isinstance(value, HistoryBuffer) else to_plain(value))
        for key, value in state.get('log_scalars', {}).items())
    return plain


def message_hub_from_plain(state: Dict[str, Any]) -> Dict[str, Any]:
    """The inverse of :func:`message_hub_to_plain`; also repairs legacy buffers."""
    restored = dict(state)
    scalars = OrderedDict()
    for key, value in state['log_scalars'].items():
        if is_plain_buffer(value):
            value = buffer_from_plain(value)
        elif isinstance(value, HistoryBuffer):
            value = repair_legacy_buffer(value)
        scalars[key] = value
    restored['log_scalars'] = scalars
    return restored


@HOOKS.register_module()
class PlainCheckpointStateHook(Hook):
    """Save the message hub and ``meta`` as plain data that ``torch.load`` accepts.

    torch >= 2.6 loads with ``weights_only=True``. MMEngine's message-hub state holds
    ``HistoryBuffer`` objects (which pickle their statistic *functions*, a reference the
    safe loader refuses whatever is allow-listed) and numpy arrays. This hook rewrites
    them in every checkpoint that the runner saves:

    * ``before_save_checkpoint``: each ``HistoryBuffer`` of ``message_hub.log_scalars``
      becomes ``{'__history_buffer__': 1, 'log_history': Tensor, 'count_history':
      Tensor, 'max_length': int}`` (dtypes and values exact); numpy arrays and scalars
      anywhere else in ``message_hub`` and ``meta`` become tensors and Python scalars.
      The file then loads with ``torch.load(path, weights_only=True)`` without the
      plugin. The runner's own message hub is not touched: the checkpoint's entries are
      replaced by converted copies.
    * ``after_load_checkpoint``: the plain buffers become ``HistoryBuffer`` objects
      again before ``Runner.resume`` hands them to ``MessageHub.load_state_dict``
      (which skips, with a warning, whatever is not a ``HistoryBuffer``, so resuming such
      a file needs this hook). ``HistoryBuffer`` objects of checkpoints written by
      older versions of this plugin (read through the allow-list of
      :func:`mmseg_semivl.compat.allow_legacy_checkpoint_globals`) lose the stray
      ``statistics_method_names`` attribute they come back with.

    Priority LOWEST: it saves after every other hook has added to ``meta`` or the
    message hub. Other hooks that read ``checkpoint['message_hub']`` in their own
    ``after_load_checkpoint`` therefore see the plain form (no hook of MMEngine, MMSeg
    or this plugin does).
    """

    priority = 'LOWEST'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Replace ``message_hub`` and ``meta`` by plain copies."""
        if isinstance(checkpoint.get('message_hub'), dict):
            checkpoint['message_hub'] = message_hub_to_plain(checkpoint['message_hub'])
        if 'meta' in checkpoint:
            checkpoint['meta'] = to_plain(checkpoint['meta'])

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Turn the saved plain buffers (and legacy ones) into ``HistoryBuffer`` objects."""
        hub = checkpoint.get('message_hub')
        if isinstance(hub, dict) and isinstance(hub.get('log_scalars'), dict):
            checkpoint['message_hub'] = message_hub_from_plain(hub)


def ensure_plain_checkpoint_state(cfg: Any) -> bool:
    """Add ``PlainCheckpointStateHook`` to ``cfg.custom_hooks`` when a config left it out.

    A config that replaces ``custom_hooks`` (its own list) would otherwise save stock
    MMEngine message hubs, which torch's safe loader refuses on resume. ``tools/train.py``
    calls this before building the runner.

    Args:
        cfg (Config): The run config (changed in place).

    Returns:
        bool: True when the hook was added.
    """
    hooks = list(cfg.get('custom_hooks') or [])

    def name(hook: Any) -> str:
        kind = hook.get('type', '') if isinstance(hook, dict) else type(hook)
        return (kind if isinstance(kind, str) else kind.__name__).split('.')[-1]

    if any(name(h) == 'PlainCheckpointStateHook' for h in hooks):
        return False
    cfg.custom_hooks = hooks + [dict(type='PlainCheckpointStateHook')]
    return True
