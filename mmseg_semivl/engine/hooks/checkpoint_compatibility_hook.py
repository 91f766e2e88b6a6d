"""Refuse to load or resume from a checkpoint that does not fit the model."""
from __future__ import annotations

import re
from typing import Sequence

import torch
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

    Fine-tuning to another class list (``load_from`` a checkpoint of another class count,
    as MMSeg users do): the head's text embeddings are the vocabulary, not learnt
    weights. With ``vocabulary='config'`` (default) the checkpoint's vocabulary buffers
    (``vocabulary_keys``) are replaced by the model's own - built from the config's class
    definitions - before loading, so the head keeps the config's classes and the
    remaining weights load strictly. Resuming (``--resume``) always keeps the
    checkpoint's vocabulary: the run continues as it was.

    Args:
        ignore_keys (Sequence[str]): Regular expressions of keys that may differ
            (e.g. the classifier when fine-tuning to another class count).
        vocabulary (str): ``'config'`` (default): on ``load_from`` the config's class
            vocabulary wins; ``'checkpoint'``: the checkpoint's vocabulary is adopted
            (the head then takes the checkpoint's class count).
        vocabulary_keys (Sequence[str]): Regular expressions of the vocabulary buffers.
    """

    priority = 'VERY_HIGH'

    def __init__(self, ignore_keys: Sequence[str] = (), vocabulary: str = 'config',
                 vocabulary_keys: Sequence[str] = (r'(^|\.)text_embeddings$', )) -> None:
        if vocabulary not in ('config', 'checkpoint'):
            raise ValueError("CheckpointCompatibilityHook: vocabulary must be 'config' or "
                             f"'checkpoint', got {vocabulary!r}")
        self.ignore_keys = tuple(ignore_keys)
        self.vocabulary = vocabulary
        self.vocabulary_keys = tuple(re.compile(k) for k in vocabulary_keys)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        state = checkpoint.get('state_dict', checkpoint)
        model_state = model.state_dict()
        if hasattr(model, 'convert_state_dict'):
            # Compare in the layout the model loads into (a teacher-student segmentor
            # maps flat and student-only checkpoints itself; the mapping is idempotent),
            # and hand that layout on, so that a vocabulary replaced below is the one
            # loaded. The file stays as it is.
            state = model.convert_state_dict(
                {re.sub(r'^module\.', '', k): v for k, v in state.items()})
            if 'state_dict' in checkpoint:
                checkpoint['state_dict'] = state
            else:
                checkpoint.clear()
                checkpoint.update(state)
        if self.vocabulary == 'config' and not getattr(runner, '_resume', False):
            self._keep_config_vocabulary(runner, model_state, state)
        check_checkpoint_compatible(model_state, state, _checkpoint_name(runner),
                                    self.ignore_keys)

    def _keep_config_vocabulary(self, runner, model_state: dict, state: dict) -> None:
        prefixed = {re.sub(r'^module\.', '', k): k for k in state}
        for key, value in model_state.items():
            if not any(p.search(key) for p in self.vocabulary_keys) or key not in prefixed:
                continue
            theirs = state[prefixed[key]]
            if hasattr(theirs, 'shape') and theirs.shape == value.shape and torch.equal(
                    theirs.to(value.device, value.dtype), value):
                continue
            # The head adopts the vocabulary it loads: give it the config's own.
            state[prefixed[key]] = value.detach().clone()
            runner.logger.info(
                f'load_from {_checkpoint_name(runner)}: {key} ({_classes(theirs)} classes in '
                f'the checkpoint) is replaced by the config\'s vocabulary ({_classes(value)} '
                'classes); the other weights are loaded.')


def _classes(tensor) -> str:
    return str(tensor.shape[0]) if getattr(tensor, 'dim', lambda: 0)() >= 1 else '?'


def _checkpoint_name(runner) -> str:
    # MMEngine does not pass the file to the hook; rebuild it as Runner.load_or_resume does.
    load_from = getattr(runner, '_load_from', None)
    if load_from:
        return str(load_from)
    if getattr(runner, '_resume', False):
        return str(find_latest_checkpoint(runner.work_dir) or f'<latest in {runner.work_dir}>')
    return '<checkpoint>'
