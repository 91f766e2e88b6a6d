"""Strict comparison of a checkpoint's weights with the model they are loaded into."""
from __future__ import annotations

import re
from typing import Dict, Mapping, Sequence

import torch


class IncompatibleCheckpointError(RuntimeError):
    """A checkpoint of another architecture or class count."""


def check_checkpoint_compatible(model_state: Mapping[str, torch.Tensor],
                                checkpoint_state: Mapping[str, torch.Tensor],
                                filename: str,
                                ignore_keys: Sequence[str] = (),
                                max_listed: int = 10) -> None:
    """Raise if a checkpoint's state dict does not fit the model exactly.

    MMEngine loads with ``strict=False`` and only logs missing/unexpected keys; a
    checkpoint of another backbone or class count then trains from partly random
    weights without anyone noticing.

    Args:
        model_state (Mapping[str, Tensor]): ``model.state_dict()``.
        checkpoint_state (Mapping[str, Tensor]): ``checkpoint['state_dict']``; a DDP
            ``module.`` prefix is stripped as MMEngine does.
        filename (str): The checkpoint file, for the message.
        ignore_keys (Sequence[str]): Regular expressions of keys allowed to be
            missing, unexpected or reshaped (e.g. ``'decode_head\\.conv_seg'`` when
            fine-tuning to another class count).
        max_listed (int): Keys listed per category in the message.

    Raises:
        IncompatibleCheckpointError: Naming the file, the missing and unexpected keys
            and the shape mismatches.
    """
    patterns = [re.compile(p) for p in ignore_keys]

    def kept(key: str) -> bool:
        return not any(p.search(key) for p in patterns)

    ckpt = {re.sub(r'^module\.', '', k): v for k, v in checkpoint_state.items()}
    missing = [k for k in model_state if k not in ckpt and kept(k)]
    unexpected = [k for k in ckpt if k not in model_state and kept(k)]
    reshaped: Dict[str, str] = {
        k: f'{tuple(ckpt[k].shape)} in the file, {tuple(v.shape)} in the model'
        for k, v in model_state.items()
        if k in ckpt and kept(k) and hasattr(ckpt[k], 'shape') and ckpt[k].shape != v.shape
    }
    if not (missing or unexpected or reshaped):
        return

    def listed(keys: Sequence[str]) -> str:
        more = f' (+{len(keys) - max_listed} more)' if len(keys) > max_listed else ''
        return ', '.join(keys[:max_listed]) + more

    parts = []
    if reshaped:
        parts.append('shape mismatch: ' + '; '.join(
            f'{k}: {v}' for k, v in list(reshaped.items())[:max_listed]))
    if missing:
        parts.append(f'missing in the file: {listed(missing)}')
    if unexpected:
        parts.append(f'not in the model: {listed(unexpected)}')
    raise IncompatibleCheckpointError(
        f'checkpoint {filename} does not match the model (another architecture or class '
        f'count?): ' + ' | '.join(parts) + '. Allow differences deliberately with '
        'CheckpointCompatibilityHook(ignore_keys=[...]).')
