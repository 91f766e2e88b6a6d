"""Infinite sampler drawing a fixed number of samples per source into every batch."""
from __future__ import annotations

import itertools
from typing import Iterator, List, Optional, Sequence, Sized

import numpy as np
from mmengine.dist import get_dist_info, sync_random_seed
from mmseg.registry import DATA_SAMPLERS
from torch.utils.data import Sampler


@DATA_SAMPLERS.register_module()
class MultiSourceSampler(Sampler):
    """Mix the sources of a ``ConcatDataset`` in a fixed ratio inside every batch.

    Modelled on MMDet 3.x's ``MultiSourceSampler`` for semi-supervised detection.
    Over ``ConcatDataset([labeled, unlabeled])`` with ``batch_size=2`` and
    ``source_ratio=(1, 1)`` every consecutive group of 2 indices is 1 labeled + 1
    unlabeled sample. The dataloader's ``batch_size`` must equal ``batch_size`` here.

    Each source has its own endless index stream: a fresh permutation per pass (or
    the identity when ``shuffle=False``), so a smaller source simply repeats more
    often. The permutations are drawn from ``(seed, epoch, source)``, identical on all
    ranks, and rank ``r`` of ``w`` takes every ``w``-th index of each stream starting at
    ``r``; the ranks therefore see disjoint shards of every pass of every source.
    Iteration never ends, as expected by ``IterBasedTrainLoop``.

    Args:
        dataset (Sized): A concatenation of the sources; needs ``datasets`` and
            ``cumulative_sizes`` (MMEngine's or PyTorch's ``ConcatDataset``).
        batch_size (int): Samples per batch on one rank.
        source_ratio (Sequence[int | float]): Relative share of each source in a batch.
            Defaults to (1, 1).
        shuffle (bool): Shuffle each source independently. Defaults to True.
        seed (int, optional): Seed shared by all ranks. Defaults to MMEngine's
            ``sync_random_seed()``.
        rank (int, optional): Rank of this process. Defaults to ``get_dist_info()``;
            overriding it is meant for tests and custom launchers.
        world_size (int, optional): Number of processes. Defaults to ``get_dist_info()``.
    """

    def __init__(self,
                 dataset: Sized,
                 batch_size: int,
                 source_ratio: Sequence[float] = (1, 1),
                 shuffle: bool = True,
                 seed: Optional[int] = None,
                 rank: Optional[int] = None,
                 world_size: Optional[int] = None) -> None:
        if hasattr(dataset, 'full_init'):
            # MMEngine's ConcatDataset built with lazy_init=True sets
            # cumulative_sizes only here; the call is a no-op once initialised.
            dataset.full_init()
        if not hasattr(dataset, 'cumulative_sizes') or not hasattr(dataset, 'datasets'):
            raise TypeError('MultiSourceSampler needs a ConcatDataset of the sources (with '
                            f'`datasets` and `cumulative_sizes`), got {type(dataset).__name__}.')
        num_sources = len(dataset.datasets)
        if len(source_ratio) != num_sources:
            raise ValueError(f'MultiSourceSampler: source_ratio {tuple(source_ratio)} has '
                             f'{len(source_ratio)} entries for {num_sources} datasets.')
        if min(source_ratio) <= 0:
            raise ValueError(f'MultiSourceSampler: source_ratio entries must be > 0, got '
                             f'{tuple(source_ratio)}')
        dist_rank, dist_world_size = get_dist_info()
        self.rank = dist_rank if rank is None else rank
        self.world_size = dist_world_size if world_size is None else world_size
        if not 0 <= self.rank < self.world_size:
            raise ValueError(f'MultiSourceSampler: rank {self.rank} is outside '
                             f'[0, world_size={self.world_size}).')

        self.dataset = dataset
        self.source_sizes = [len(d) for d in dataset.datasets]
        for source, size in enumerate(self.source_sizes):
            if size == 0:
                raise ValueError(f'MultiSourceSampler: source {source} is empty.')
        self.offsets = [0, *dataset.cumulative_sizes[:-1]]
        self.batch_size = batch_size
        self.source_ratio = tuple(source_ratio)
        self.num_per_source = self._split_batch(batch_size, self.source_ratio)
        self.shuffle = shuffle
        self.seed = sync_random_seed() if seed is None else seed
        self.epoch = 0

    @staticmethod
    def _split_batch(batch_size: int, source_ratio: Sequence[float]) -> List[int]:
        """Samples per source; the first source takes the rounding remainder (as MMDet)."""
        total = sum(source_ratio)
        num_per_source = [int(batch_size * ratio / total) for ratio in source_ratio]
        num_per_source[0] = batch_size - sum(num_per_source[1:])
        if min(num_per_source) <= 0:
            raise ValueError(f'MultiSourceSampler: batch_size={batch_size} with source_ratio='
                             f'{tuple(source_ratio)} gives {num_per_source} samples per '
                             'source; every source needs at least one.')
        return num_per_source

    def _infinite_indices(self, source: int) -> Iterator[int]:
        """Endless local indices of one source, identical on every rank."""
        size = self.source_sizes[source]
        # One generator per (seed, epoch, source): the sources are shuffled
        # independently, so equal-sized sources are not paired in a fixed order.
        rng = np.random.default_rng([self.seed, self.epoch, source])
        while True:
            order = rng.permutation(size) if self.shuffle else np.arange(size)
            yield from order.tolist()

    def _indices_of_rank(self, source: int) -> Iterator[int]:
        """This rank's shard of one source's stream, as global dataset indices."""
        offset = self.offsets[source]
        shard = itertools.islice(self._infinite_indices(source), self.rank, None,
                                 self.world_size)
        return (offset + index for index in shard)

    def __iter__(self) -> Iterator[int]:
        """Yield global indices endlessly, ``batch_size`` at a time, sources in order."""
        streams = [self._indices_of_rank(source) for source in range(len(self.source_sizes))]
        while True:
            for stream, num in zip(streams, self.num_per_source):
                yield from itertools.islice(stream, num)

    def __len__(self) -> int:
        """Length of the concatenated dataset (the iteration itself is endless)."""
        return len(self.dataset)

    def set_epoch(self, epoch: int) -> None:
        """Reseed the permutations; takes effect at the next ``iter(sampler)``.

        Args:
            epoch (int): Epoch number.
        """
        self.epoch = epoch
