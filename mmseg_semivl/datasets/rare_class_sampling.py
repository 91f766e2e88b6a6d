"""Rare-class sampling (RCS, DAFormer Sec. 3.3) for the labeled source stream.

DAFormer draws every source sample in two steps: a class ``c`` with probability

    p_c = softmax((1 - f_c) / T),   f_c = pixels of c / pixels of all classes (source set),

then a file uniformly among those with more than ``min_pixels`` (3000) pixels of ``c``;
the sample is re-cropped up to 10 times until more than ``min_pixels x min_crop_ratio``
(1500) pixels of ``c`` lie in the crop. Here the two halves live where they can be
seeded and resumed:

* :class:`RareClassMultiSourceSampler` (a :class:`MultiSourceSampler`) draws ``(c, f)``
  for the source stream from a generator seeded by ``(seed, epoch, source)``, identical
  on all ranks, each rank taking every ``world_size``-th draw (disjoint shards, as for
  the other streams). MMEngine's resume fast-forwards the sampler, so a resumed run
  continues the same stream. The other streams (the target) stay uniform permutations.
* :class:`RareClassSamplingDataset` wraps the source dataset and does the re-crops. An
  index carries only the file, so the wrapper redraws the crop class from
  ``P(c | f) = p_c / n_c / P(f)`` (``n_c``: files eligible for ``c``), which gives
  exactly DAFormer's joint distribution of (class, file): ``P(f) P(c | f) = p_c / n_c``.
  This draw uses NumPy's global generator, which MMEngine seeds per worker, like the
  random crops themselves.

Classes with no file above ``min_pixels`` cannot be drawn (DAFormer asserts); they are
left out of the softmax, which renormalises over the others, and a warning names them.
"""
from __future__ import annotations

import logging
import os
import os.path as osp
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log
from mmseg.registry import DATA_SAMPLERS, DATASETS

from .class_stats import SAMPLE_CLASS_STATS, read_sample_class_stats, total_class_pixels
from .samplers.multi_source_sampler import MultiSourceSampler


def rcs_class_probabilities(class_pixels: Dict[int, int],
                            temperature: float = 0.01) -> Tuple[List[int], np.ndarray]:
    """DAFormer's class distribution ``softmax((1 - f_c) / T)``.

    Args:
        class_pixels (dict[int, int]): Pixels per class over the source set (classes
            with 0 pixels are not listed and get no probability).
        temperature (float): T; smaller favours rare classes more. Defaults to 0.01.

    Returns:
        tuple[list[int], np.ndarray]: The classes (ascending) and their probabilities
        (float64, summing to 1).
    """
    if temperature <= 0:
        raise ValueError(f'RCS temperature must be > 0, got {temperature}')
    classes = sorted(c for c, n in class_pixels.items() if n > 0)
    if not classes:
        raise ValueError('RCS: the class statistics hold no pixel of any class')
    freq = np.array([class_pixels[c] for c in classes], dtype=np.float64)
    freq /= freq.sum()
    logits = (1.0 - freq) / temperature
    logits -= logits.max()  # exp of up to 1/T = 100 would overflow less kindly
    probs = np.exp(logits)
    return classes, probs / probs.sum()


@DATASETS.register_module()
class RareClassSamplingDataset(BaseDataset):
    """Source dataset with DAFormer's rare-class statistics and re-crops.

    Args:
        dataset (dict | BaseDataset): The labeled source dataset (e.g. ``GTADataset``);
            its pipeline must load the labels.
        stats_dir (str, optional): Folder of ``sample_class_stats.json``. Defaults to the
            wrapped dataset's ``data_root``.
        temperature (float): T of the class softmax. Defaults to 0.01 (DAFormer).
        min_pixels (int): A file is eligible for class c with more than this many pixels
            of c. Defaults to 3000.
        min_crop_ratio (float): A crop is accepted with more than ``min_pixels x
            min_crop_ratio`` pixels of the class; 0 disables re-cropping. Defaults to 0.5.
        max_crop_attempts (int): Pipeline runs per sample at most. Defaults to 10.
        ignore_index (int): Label value that is no class. Defaults to 255.
    """

    def __init__(self,
                 dataset: Union[dict, BaseDataset],
                 stats_dir: Optional[str] = None,
                 temperature: float = 0.01,
                 min_pixels: int = 3000,
                 min_crop_ratio: float = 0.5,
                 max_crop_attempts: int = 10,
                 ignore_index: int = 255) -> None:
        self.dataset = DATASETS.build(dataset) if isinstance(dataset, dict) else dataset
        if max_crop_attempts < 1:
            raise ValueError(f'RareClassSamplingDataset: max_crop_attempts must be >= 1, got '
                             f'{max_crop_attempts}')
        self.temperature = temperature
        self.min_pixels = min_pixels
        self.min_crop_ratio = min_crop_ratio
        self.max_crop_attempts = max_crop_attempts
        self.ignore_index = ignore_index
        root = getattr(self.dataset, 'data_root', None)
        self.stats_dir = stats_dir if stats_dir is not None else (root or '')
        self._metainfo = self.dataset.metainfo
        self._fully_initialized = False
        self.full_init()

    @property
    def metainfo(self) -> dict:
        return dict(self._metainfo)

    def full_init(self) -> None:
        """Match the statistics to the dataset and derive the sampling distributions."""
        if self._fully_initialized:
            return
        self.dataset.full_init()
        stats = read_sample_class_stats(self.stats_dir)
        file_to_index = self._match_files(stats)
        self.all_classes, self.all_class_probs = rcs_class_probabilities(
            total_class_pixels(stats), self.temperature)
        eligible: Dict[int, List[int]] = {}
        for file, counts in stats:
            for c, n in counts.items():
                if n > self.min_pixels:
                    eligible.setdefault(c, []).append(file_to_index[file])
        dropped = [c for c in self.all_classes if c not in eligible]
        if len(dropped) == len(self.all_classes):
            raise ValueError(f'RareClassSamplingDataset: no file of {self.stats_dir} has more '
                             f'than min_pixels={self.min_pixels} pixels of any class')
        if dropped:
            names = self._metainfo.get('classes') or []
            shown = [names[c] if c < len(names) else c for c in dropped]
            print_log(f'RareClassSamplingDataset: classes {shown} have no file with more than '
                      f'{self.min_pixels} pixels and are never drawn.', logger='current',
                      level=logging.WARNING)
        self.classes = [c for c in self.all_classes if c in eligible]
        keep = np.array([c in eligible for c in self.all_classes])
        probs = self.all_class_probs[keep]
        #: p_c over the drawable classes (renormalised when some were dropped).
        self.class_probs = probs / probs.sum()
        #: Dataset indices eligible for each drawable class, sorted.
        self.files_of_class = {c: sorted(eligible[c]) for c in self.classes}
        # Joint P(c, f) = p_c / n_c; its marginal over c is P(f), its rows P(c | f).
        joint = np.zeros((len(self.dataset), len(self.classes)))
        for k, c in enumerate(self.classes):
            joint[self.files_of_class[c], k] = self.class_probs[k] / len(self.files_of_class[c])
        self.file_probs = joint.sum(axis=1)
        with np.errstate(invalid='ignore', divide='ignore'):
            self._class_given_file = joint / self.file_probs[:, None]
        self._fully_initialized = True

    def _match_files(self, stats: Sequence[Tuple[str, Dict[int, int]]]) -> Dict[str, int]:
        """Map every statistics file to a dataset index (names both sides on mismatch).

        Files are matched by path relative to the dataset root; statistics written with
        other roots (e.g. DAFormer's, which hold ``data/gta/labels/...``) fall back to
        the file name when names are unique.
        """
        root = getattr(self.dataset, 'data_root', None) or ''
        rel_to_index, name_to_index = {}, {}
        for i in range(len(self.dataset)):
            seg = self.dataset.get_data_info(i).get('seg_map_path')
            if seg is None:
                raise ValueError(f'RareClassSamplingDataset: {type(self.dataset).__name__} '
                                 f'sample {i} has no label; the RCS source must be labeled')
            rel = osp.relpath(seg, root).replace(os.sep, '/') if root else seg
            rel_to_index[rel] = i
            name_to_index.setdefault(osp.basename(seg), []).append(i)
        mapping, unmatched = {}, []
        for file, _ in stats:
            norm = file.replace(os.sep, '/')
            if norm in rel_to_index:
                mapping[file] = rel_to_index[norm]
            elif len(name_to_index.get(osp.basename(norm), [])) == 1:
                mapping[file] = name_to_index[osp.basename(norm)][0]
            else:
                unmatched.append(file)
        unused = sorted(set(range(len(self.dataset))) - set(mapping.values()))
        if unmatched or unused or len(stats) != len(self.dataset):
            stats_path = osp.join(self.stats_dir, SAMPLE_CLASS_STATS)
            unused_names = [self.dataset.get_data_info(i)['seg_map_path'] for i in unused[:3]]
            raise ValueError(
                f'rare-class statistics {stats_path} ({len(stats)} files) do not match the '
                f'dataset {type(self.dataset).__name__} (data_root={root!r}, '
                f'{len(self.dataset)} samples): in the statistics only: {unmatched[:3]}; in '
                f'the dataset only: {unused_names}. Re-run the converter on this data_root '
                'or point stats_dir at the statistics of this dataset.')
        return mapping

    def __len__(self) -> int:
        return len(self.dataset)

    def get_data_info(self, idx: int) -> dict:
        return self.dataset.get_data_info(idx)

    def draw_crop_class(self, idx: int, rng: Any = np.random) -> Optional[int]:
        """The class whose pixels the crop of sample ``idx`` must contain, ~ P(c | f)."""
        row = self._class_given_file[idx]
        if not np.isfinite(row).all() or row.sum() <= 0:
            return None  # a file never drawn by RCS (no class above min_pixels)
        return self.classes[int(rng.choice(len(self.classes), p=row))]

    def __getitem__(self, idx: int) -> Any:
        """Run the wrapped pipeline until the crop holds enough pixels of the RCS class."""
        c = self.draw_crop_class(idx)
        sample = self.dataset[idx]
        if c is None or self.min_crop_ratio <= 0:
            return sample
        for _ in range(self.max_crop_attempts - 1):
            if count_label_pixels(sample, c) > self.min_pixels * self.min_crop_ratio:
                break
            sample = self.dataset[idx]
        return sample


def count_label_pixels(sample: Any, class_id: int) -> int:
    """Pixels of ``class_id`` in a pipeline output (packed or not).

    Accepts a results dict with ``gt_seg_map``, MMSeg's packed ``{'data_samples':
    SegDataSample}``, or this package's ``{'data_samples': {'labeled': SegDataSample}}``.

    Raises:
        KeyError: If the sample carries no label.
    """
    if isinstance(sample, dict) and 'gt_seg_map' in sample:
        return int((np.asarray(sample['gt_seg_map']) == class_id).sum())
    data_samples = sample.get('data_samples') if isinstance(sample, dict) else None
    candidates = data_samples.values() if isinstance(data_samples, dict) else [data_samples]
    for data_sample in candidates:
        if data_sample is not None and 'gt_sem_seg' in data_sample:
            return int((data_sample.gt_sem_seg.data == class_id).sum())
    raise KeyError('RareClassSamplingDataset: the pipeline output has no label '
                   '(gt_seg_map / gt_sem_seg); load the annotations in the source pipeline.')


@DATA_SAMPLERS.register_module()
class RareClassMultiSourceSampler(MultiSourceSampler):
    """:class:`MultiSourceSampler` whose source stream is drawn by rare-class sampling.

    Over ``ConcatDataset([RareClassSamplingDataset(source), target])``: every batch holds
    ``source_ratio`` samples of each stream, the source indices drawn class-first as in
    DAFormer, the target ones as uniform permutations. Seeding, rank sharding and resume
    are the parent's (see the module docstring).

    Args:
        dataset: The ``ConcatDataset`` of the streams.
        batch_size (int): Samples per batch on one rank.
        source_ratio (Sequence[float]): Share of each stream. Defaults to (1, 1).
        rcs_source (int): Index of the RCS stream in the concatenation. Defaults to 0.
        **kwargs: ``shuffle``, ``seed``, ``rank``, ``world_size`` of the parent.
    """

    def __init__(self, dataset, batch_size: int, source_ratio: Sequence[float] = (1, 1),
                 rcs_source: int = 0, **kwargs) -> None:
        super().__init__(dataset, batch_size, source_ratio, **kwargs)
        if not 0 <= rcs_source < len(self.source_sizes):
            raise ValueError(f'RareClassMultiSourceSampler: rcs_source={rcs_source} is not a '
                             f'stream index (0..{len(self.source_sizes) - 1})')
        rcs = dataset.datasets[rcs_source]
        if not isinstance(rcs, RareClassSamplingDataset):
            raise TypeError(f'RareClassMultiSourceSampler: stream {rcs_source} must be a '
                            f'RareClassSamplingDataset, got {type(rcs).__name__}')
        self.rcs_source = rcs_source
        self.rcs = rcs

    def draw(self, rng: np.random.Generator, num: int) -> Tuple[np.ndarray, np.ndarray]:
        """Draw ``num`` (class, local index) pairs: class ~ p_c, file ~ U(files of c).

        Returns:
            tuple[np.ndarray, np.ndarray]: (num,) classes and (num,) dataset indices.
        """
        classes = np.asarray(self.rcs.classes)
        picks = rng.choice(len(classes), size=num, p=self.rcs.class_probs)
        files = np.empty(num, dtype=np.int64)
        for k in np.unique(picks):
            candidates = np.asarray(self.rcs.files_of_class[int(classes[k])])
            where = np.flatnonzero(picks == k)
            files[where] = candidates[rng.integers(len(candidates), size=where.size)]
        return classes[picks], files

    def _infinite_indices(self, source: int) -> Iterator[int]:
        if source != self.rcs_source:
            yield from super()._infinite_indices(source)
            return
        rng = np.random.default_rng([self.seed, self.epoch, source])
        chunk = max(1024, self.source_sizes[source])  # draws in blocks: cheap per index
        while True:
            _, files = self.draw(rng, chunk)
            yield from files.tolist()
