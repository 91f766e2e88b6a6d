"""Resume a run exactly where it stopped: random streams and data position."""
from __future__ import annotations

import logging
from typing import Any, Callable, Iterator, List, Optional

from mmengine.dist import all_gather_object, get_dist_info
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmseg.registry import HOOKS

from ..runner.random_state import RandomState, get_random_state, set_random_state

CHECKPOINT_KEY = 'random_state'


@HOOKS.register_module()
class ExactResumeHook(Hook):
    """Store the random generators in checkpoints and restore them on resume.

    With it, a run killed after a checkpoint and resumed (``--resume``) ends with the
    same weights as the uninterrupted run: same data order, same augmentation draws,
    same dropout masks, same lambda_t. Without it MMEngine resumes with freshly
    seeded generators, and its data fast-forward (it loads and discards ``iter``
    batches) consumes augmentation draws that, with ``num_workers=0``, the original
    run interleaved with the model's dropout draws.

    * ``after_train_iter`` snapshots every rank's generators (gathered to rank 0 in
      distributed runs) before :class:`CheckpointHook` (priority VERY_LOW) saves.
    * ``before_save_checkpoint`` writes ``checkpoint['random_state'] =
      {'iter', 'world_size', 'ranks': [state of rank 0, ...]}``.
    * On resume, the loop's data iterator is wrapped so that the generators are
      restored right after MMEngine's fast-forward, before the next batch is drawn.
      With ``num_workers=0`` the fast-forward only advances the sampler (no image is
      decoded); with workers it still loads the batches, which keeps the workers'
      own generators (seeded once per iterator) in step.
    * Validation runs inside a fork of the generators, so validating (or not, or at
      another interval) never changes the training's random draws.

    A checkpoint written with another number of processes cannot continue every
    rank's stream; the run then goes on with the generators MMEngine seeded, and a
    warning says so. Checkpoints without a random state (older runs) resume as
    before.
    """

    priority = 'LOW'  # after_train_iter must run before CheckpointHook (VERY_LOW)

    def __init__(self) -> None:
        self._states: Optional[List[RandomState]] = None
        self._states_iter = -1
        self._val_state: Optional[RandomState] = None
        self._loaded: Optional[dict] = None

    # ------------------------------------------------------------------ saving
    def after_train_iter(self, runner, batch_idx: int, data_batch: Any = None,
                         outputs: Optional[dict] = None) -> None:
        """Snapshot the generators as they are when the next batch will be drawn."""
        state = get_random_state()
        _, world_size = get_dist_info()
        # Collective on every rank; rank 0 alone writes the checkpoint.
        self._states = all_gather_object(state) if world_size > 1 else [state]
        self._states_iter = runner.iter + 1  # = meta['iter'] of a checkpoint saved now

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Add the snapshot of the iteration being saved to ``checkpoint``."""
        saved_iter = checkpoint.get('meta', {}).get('iter')
        if self._states is None or saved_iter != self._states_iter:
            return  # not saved from the training loop (e.g. before training starts)
        checkpoint[CHECKPOINT_KEY] = dict(
            iter=self._states_iter, world_size=len(self._states), ranks=self._states)

    # ------------------------------------------------------------------ resuming
    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Keep the stored state; whether this is a resume is known at train start."""
        self._loaded = checkpoint.get(CHECKPOINT_KEY)

    def before_train_epoch(self, runner) -> None:
        """On resume, schedule the restore for right after the data fast-forward."""
        loaded, self._loaded = self._loaded, None
        # load_from (fine-tuning) also loads a checkpoint but restarts at iter 0.
        if loaded is None or runner.iter == 0 or loaded['iter'] != runner.iter:
            return
        rank, world_size = get_dist_info()
        if loaded['world_size'] != world_size:
            print_log(
                f'ExactResumeHook: the checkpoint was written by {loaded["world_size"]} '
                f'process(es), this run has {world_size}; the random streams cannot be '
                'continued, training goes on with freshly seeded generators.',
                logger='current', level=logging.WARNING)
            return
        state = loaded['ranks'][rank]
        loop = runner.train_loop
        if hasattr(loop, 'dataloader_iterator'):
            loop.dataloader_iterator = _RestoreAfterFastForward(
                loop.dataloader_iterator, runner.iter, lambda: set_random_state(state))
        else:  # epoch-based loops do not fast-forward: the next draw is the data's
            set_random_state(state)

    # ------------------------------------------------------------------ validation
    def before_val(self, runner) -> None:
        self._val_state = get_random_state()

    def after_val(self, runner) -> None:
        if self._val_state is not None:
            set_random_state(self._val_state)
            self._val_state = None


class _RestoreAfterFastForward:
    """Wraps the loop's data iterator: ``skip`` cheap steps, then restore, then delegate.

    Args:
        iterator: MMEngine's ``_InfiniteDataloaderIterator`` of the train loop.
        skip (int): Batches already trained (MMEngine calls ``next`` that often
            before training resumes).
        restore (Callable[[], None]): Called once, before the first real batch.
    """

    def __init__(self, iterator: Iterator, skip: int, restore: Callable[[], None]) -> None:
        self._iterator = iterator
        self._skip = skip
        self._restore: Optional[Callable[[], None]] = restore

    def __iter__(self) -> '_RestoreAfterFastForward':
        return self

    def __next__(self) -> Any:
        if self._skip > 0:
            self._skip -= 1
            if self._skip_indices():
                return None  # MMEngine discards fast-forwarded batches
            return next(self._iterator)
        if self._restore is not None:
            self._restore()
            self._restore = None
        return next(self._iterator)

    def _skip_indices(self) -> bool:
        """Advance a single-process loader by one batch of indices without loading it.

        Loading would only spend time and (restored anyway) main-process draws. With
        worker processes the batches are loaded, to keep the workers' generators in
        step with the original run.
        """
        loader_iter = getattr(self._iterator, '_iterator', None)
        if loader_iter is None or getattr(loader_iter, '_num_workers', 1) != 0 or not hasattr(
                loader_iter, '_next_index'):
            return False
        try:
            loader_iter._next_index()
        except StopIteration:
            return False  # a finite sampler ended: let MMEngine restart it
        loader_iter._num_yielded += 1
        return True
