"""Refuse to load or resume from a checkpoint that does not fit the model."""
from __future__ import annotations

import re
from typing import Sequence

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner.checkpoint import find_latest_checkpoint
from mmseg.registry import HOOKS

from ..runner.checkpoint_compat import check_checkpoint_compatible


@HOOKS.register_module()
class CheckpointCompatibilityHook(Hook):
    """Turn MMEngine's missing/unexpected-key *warnings* on ``load_from``/resume into an error.

    Runs in ``after_load_checkpoint``, before the weights are copied, and raises
    :class:`~mmseg_semivl.engine.runner.checkpoint_compat.IncompatibleCheckpointError`
    naming the file and the mismatching keys and shapes.

    Args:
        ignore_keys (Sequence[str]): Regular expressions of keys that may differ
            (e.g. the classifier when fine-tuning to another class count).
    """

    priority = 'VERY_HIGH'

    def __init__(self, ignore_keys: Sequence[str] = ()) -> None:
        self.ignore_keys = tuple(ignore_keys)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        state = checkpoint.get('state_dict', checkpoint)
        if hasattr(model, 'convert_state_dict'):
            # Compare in the layout the model loads into (a teacher-student segmentor
            # maps flat and student-only checkpoints itself); the file stays as it is.
            state = model.convert_state_dict(
                {re.sub(r'^module\.', '', k): v for k, v in state.items()})
        check_checkpoint_compatible(model.state_dict(), state, _checkpoint_name(runner),
                                    self.ignore_keys)


def _checkpoint_name(runner) -> str:
    # MMEngine does not pass the file to the hook; rebuild it as Runner.load_or_resume does.
    load_from = getattr(runner, '_load_from', None)
    if load_from:
        return str(load_from)
    if getattr(runner, '_resume', False):
        return str(find_latest_checkpoint(runner.work_dir) or f'<latest in {runner.work_dir}>')
    return '<checkpoint>'
