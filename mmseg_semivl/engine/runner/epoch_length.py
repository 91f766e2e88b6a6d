"""Schedule lengths in epochs of one source: the one place iterations are derived.

UniMatch and SemiVL train for N epochs, an epoch being one pass over the *unlabeled* set
with the total unlabeled batch of all processes (8 in the papers): the length in
iterations depends on the split. :class:`SourceEpochTrainLoop` computes it from the built
dataloader; MMEngine then gives every parameter scheduler without an ``end`` that length
(``Runner.build_param_scheduler``), so no config writes an iteration count by hand.
"""
from __future__ import annotations

import math
from typing import Dict, List, Optional, Tuple, Union

from mmengine.dist import get_world_size
from mmengine.runner import IterBasedTrainLoop
from mmseg.registry import LOOPS
from torch.utils.data import DataLoader


def iterations_for_epochs(max_epochs: int, num_samples: int, samples_per_step: int) -> int:
    """``max_epochs x ceil(num_samples / samples_per_step)``.

    Args:
        max_epochs (int): Passes over the source.
        num_samples (int): Images in the source (e.g. the unlabeled split).
        samples_per_step (int): Images of that source per iteration, over all processes.

    Returns:
        int: The number of iterations (the last pass of an epoch may be partial).

    Example:
        Pascal VOC 92 labels: 80 epochs over 10,582 - 92 unlabeled images, 8 per step:
        ``iterations_for_epochs(80, 10_490, 8) == 104_960``.
    """
    for name, value in (('max_epochs', max_epochs), ('num_samples', num_samples),
                        ('samples_per_step', samples_per_step)):
        if int(value) != value or value < 1:
            raise ValueError(f'iterations_for_epochs: {name} must be a positive integer, '
                             f'got {value!r}')
    return int(max_epochs) * math.ceil(int(num_samples) / int(samples_per_step))


def samples_per_step_of_source(dataloader: DataLoader, source: int,
                               world_size: Optional[int] = None) -> Tuple[int, int]:
    """Images of ``source`` per iteration over all processes, and the source's size.

    Reads the ``MultiSourceSampler`` of the dataloader (its per-source split of the batch)
    and the ``ConcatDataset`` of the sources.

    Returns:
        tuple[int, int]: (samples per step over all ranks, images in the source).
    """
    sampler = getattr(dataloader, 'sampler', None)
    if not hasattr(sampler, 'num_per_source'):
        raise TypeError(f'SourceEpochTrainLoop needs the MultiSourceSampler of the semi/UDA '
                        f'dataset configs, got the sampler {type(sampler).__name__}')
    datasets = dataloader.dataset.datasets
    if not 0 <= source < len(datasets):
        raise ValueError(f'SourceEpochTrainLoop: epoch_source={source} but the dataset has '
                         f'{len(datasets)} sources')
    world_size = get_world_size() if world_size is None else world_size
    return sampler.num_per_source[source] * world_size, len(datasets[source])


@LOOPS.register_module()
class SourceEpochTrainLoop(IterBasedTrainLoop):
    """``IterBasedTrainLoop`` whose length is ``max_epochs`` passes over one source.

    ``max_iters = max_epochs x ceil(len(source) / (its images per step x world size))``,
    computed when the loop is built (so the number of GPUs and the per-GPU batch can change
    without touching the schedule); validation and checkpoints stay iteration-based.

    Args:
        runner: The runner.
        dataloader (DataLoader | dict): The training dataloader (a ``ConcatDataset`` of the
            sources with a ``MultiSourceSampler``).
        max_epochs (int): Passes over ``epoch_source``.
        epoch_source (int): Index of the source an epoch is counted on. Default: 1 (the
            unlabeled set of ``[labeled, unlabeled]``, UniMatch / SemiVL).
        max_iters (int, optional): An explicit length in iterations; it wins over
            ``max_epochs`` (MMSeg's habit ``--cfg-options train_cfg.max_iters=N`` keeps
            working, and the schedulers follow it). Default: None.
        val_begin (int): As ``IterBasedTrainLoop``. Default: 1.
        val_interval (int): As ``IterBasedTrainLoop``. Default: 1000.
        dynamic_intervals (list, optional): As ``IterBasedTrainLoop``.
    """

    def __init__(self,
                 runner,
                 dataloader: Union[DataLoader, Dict],
                 max_epochs: int,
                 epoch_source: int = 1,
                 max_iters: Optional[int] = None,
                 val_begin: int = 1,
                 val_interval: int = 1000,
                 dynamic_intervals: Optional[List[Tuple[int, int]]] = None) -> None:
        # The length needs the built dataloader; the parent builds it first.
        super().__init__(runner, dataloader, max_iters=1, val_begin=val_begin,
                         val_interval=val_interval, dynamic_intervals=dynamic_intervals)
        per_step, num_samples = samples_per_step_of_source(self.dataloader, epoch_source)
        self.max_epochs_of_source = int(max_epochs)
        self.epoch_source = epoch_source
        by_epochs = iterations_for_epochs(max_epochs, num_samples, per_step)
        self._max_iters = by_epochs if max_iters is None else int(max_iters)
        runner.logger.info(
            f'SourceEpochTrainLoop: {max_epochs} epochs x ceil({num_samples} images of source '
            f'{epoch_source} / {per_step} per step) = {by_epochs} iterations'
            + ('' if max_iters is None else f'; train_cfg.max_iters={max_iters} is used'))


__all__ = ['SourceEpochTrainLoop', 'iterations_for_epochs', 'samples_per_step_of_source']
