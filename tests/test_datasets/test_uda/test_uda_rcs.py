"""Rare-class sampling: the class and file frequencies of many draws against DAFormer's
formula, eligibility, re-crops, seeding, rank shards, resuming, and mismatching statistics.

Tolerance of the frequency tests: with N independent draws the empirical frequency of an
event of probability p has standard deviation sqrt(p (1 - p) / N); each is checked within
5 of them (N = 40,000: at most 0.0125). A correct sampler fails that by chance with
probability below 1e-6 per check, and the draws are seeded anyway; the plausible bugs
(T off by 2x, f_c instead of 1 - f_c, files drawn uniformly, the 3000-pixel threshold
not strict) move some frequency by more than 0.05.
"""

import itertools
import math
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.dataset import ConcatDataset
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample
from uda_miniatures import make_gta, tile

from mmseg_semivl.datasets import (GTADataset, RareClassMultiSourceSampler,
                                   RareClassSamplingDataset, rcs_class_probabilities)
from mmseg_semivl.datasets.class_stats import write_class_stats
from mmseg_semivl.datasets.rare_class_sampling import count_label_pixels
from mmseg_semivl.datasets.uda_base import CITYSCAPES_CLASSES

N = 40000
T = 0.01
# Class pixels per file (f1..f6). Totals: class 0: 26,000, 1: 25,000, 2: 25,000,
# 3: 24,000 -> f = 0.26, 0.25, 0.25, 0.24. Files with > 3000 pixels ("eligible"):
# class 0: f1 f2 f3; class 1: f2 f4; class 2: f3 f4; class 3: f5 f6 (f1 has exactly 3000).
FILE_STATS = [{0: 10000, 3: 3000}, {0: 10000, 1: 12000}, {0: 6000, 2: 12500},
              {1: 13000, 2: 12500}, {3: 10500}, {3: 10500}]
ELIGIBLE = {0: [0, 1, 2], 1: [1, 3], 2: [2, 3], 3: [4, 5]}


def formula_probs():
    """softmax((1 - f_c) / T), written out."""
    f = [0.26, 0.25, 0.25, 0.24]
    e = [math.exp((1 - fc) / T - (1 - 0.24) / T) for fc in f]
    return [x / sum(e) for x in e]


def formula_file_probs():
    p = formula_probs()
    return [sum(p[c] / len(files) for c, files in ELIGIBLE.items() if i in files)
            for i in range(6)]


def within(frequencies, probs, n=N):
    for freq, p in zip(frequencies, probs):
        assert abs(freq - p) <= 5 * math.sqrt(p * (1 - p) / n), (frequencies, probs)


@pytest.fixture(scope='module')
def source(tmp_path_factory):
    """GTA miniature of 6 files whose statistics are FILE_STATS."""
    root = tmp_path_factory.mktemp('rcs_gta')
    make_gta(root, [tile([7] * 8, hw=(8, 8))] * 6)
    for i in range(1, 7):  # trainId labels (content irrelevant to the statistics tests)
        (root / 'labels' / f'{i:05d}_labelTrainIds.png').write_bytes(
            (root / 'labels' / f'{i:05d}.png').read_bytes())
    write_class_stats(str(root), [(f'labels/{i + 1:05d}_labelTrainIds.png', s)
                                  for i, s in enumerate(FILE_STATS)])
    return root


def rcs_dataset(root, **kwargs):
    return RareClassSamplingDataset(dict(type='GTADataset', data_root=str(root)), **kwargs)


def sampler(root, seed=0, rank=0, world_size=1, num_target=5):
    target = GTADataset(data_root=str(root), with_labels=False, indices=num_target)
    dataset = ConcatDataset([rcs_dataset(root), target])
    return RareClassMultiSourceSampler(dataset, batch_size=2, seed=seed, rank=rank,
                                       world_size=world_size)


def test_class_probabilities_are_the_formula():
    classes, probs = rcs_class_probabilities({0: 26000, 1: 25000, 2: 25000, 3: 24000}, T)
    assert classes == [0, 1, 2, 3]
    np.testing.assert_allclose(probs, formula_probs(), rtol=1e-12)
    assert probs[3] > 0.5  # the rarest class dominates at T = 0.01
    # A class without pixels gets no probability at all.
    assert rcs_class_probabilities({0: 10, 5: 0}, T)[0] == [0]


def test_eligible_files_and_posterior(source):
    rcs = rcs_dataset(source)
    assert rcs.files_of_class == ELIGIBLE  # strictly more than 3000 pixels
    np.testing.assert_allclose(rcs.file_probs, formula_file_probs(), rtol=1e-12)
    p = formula_probs()
    # Sample 1 (f2) holds classes 0 and 1: P(c | f) = (p_c / n_c) / P(f).
    row = rcs._class_given_file[1]
    np.testing.assert_allclose(row, [p[0] / 3 / (p[0] / 3 + p[1] / 2),
                                     p[1] / 2 / (p[0] / 3 + p[1] / 2), 0, 0])
    np.testing.assert_array_equal(rcs._class_given_file[0], [1, 0, 0, 0])  # 3000 px: no
    # The joint of (file, crop class) has DAFormer's class marginal p_c.
    np.testing.assert_allclose(rcs.file_probs @ rcs._class_given_file, p, rtol=1e-12)


def test_sampled_class_and_file_frequencies(source):
    s = sampler(source)
    classes, files = s.draw(np.random.default_rng(0), N)
    within([np.mean(classes == c) for c in range(4)], formula_probs())
    for c in range(4):  # a file is always one that holds enough of its class
        assert set(files[classes == c].tolist()) == set(ELIGIBLE[c])
    # The stream the loader actually consumes: every other index is a source index.
    stream = list(itertools.islice(iter(s), 2 * N))
    source_indices, target_indices = np.array(stream[0::2]), np.array(stream[1::2])
    within([np.mean(source_indices == i) for i in range(6)], formula_file_probs())
    # The target stream stays a uniform permutation per pass (offset 6 in the concat).
    for start in range(0, 50, 5):
        assert sorted(target_indices[start:start + 5]) == list(range(6, 11))


def test_crop_class_frequencies_of_the_wrapper(source):
    rcs = rcs_dataset(source)
    rng = np.random.default_rng(1)
    files = rng.choice(6, size=N, p=rcs.file_probs)
    crop_classes = np.array([rcs.draw_crop_class(int(f), rng) for f in files])
    within([np.mean(crop_classes == c) for c in range(4)], formula_probs())


def test_seeded_and_resumable(source):
    first = list(itertools.islice(iter(sampler(source, seed=3)), 400))
    # A resumed run builds a fresh sampler and fast-forwards it; other random draws made
    # in between (model init, augmentation) must not change the stream.
    np.random.seed(123)
    np.random.rand(10)
    torch.rand(10)
    resumed = iter(sampler(source, seed=3))
    for _ in range(150):
        next(resumed)
    assert list(itertools.islice(resumed, 250)) == first[150:]
    assert list(itertools.islice(iter(sampler(source, seed=4)), 400)) != first
    other_epoch = sampler(source, seed=3)
    other_epoch.set_epoch(1)
    assert list(itertools.islice(iter(other_epoch), 400)) != first


def test_ranks_take_disjoint_shards_of_one_stream(source):
    single = list(itertools.islice(iter(sampler(source, seed=7)), 400))[0::2]
    rank0 = list(itertools.islice(iter(sampler(source, seed=7, rank=0, world_size=2)), 200))
    rank1 = list(itertools.islice(iter(sampler(source, seed=7, rank=1, world_size=2)), 200))
    assert rank0[0::2] == single[0::2] and rank1[0::2] == single[1::2]


def test_classes_without_eligible_files_are_dropped(source):
    rcs = rcs_dataset(source, min_pixels=12000)
    # Only class 1 (f4: 13,000) and class 2 (f3, f4: 12,500) keep a file; p1 = p2.
    assert rcs.classes == [1, 2] and rcs.files_of_class == {1: [3], 2: [2, 3]}
    np.testing.assert_allclose(rcs.class_probs, [0.5, 0.5])
    assert rcs.draw_crop_class(0) is None  # never drawn by RCS


class FakeSource:
    """A source whose pipeline returns prepared crops, counting its calls."""

    def __init__(self, root, crops):
        self.data_root = str(root)
        self.metainfo = dict(classes=CITYSCAPES_CLASSES)
        self.crops = iter(crops)
        self.calls = 0

    def full_init(self):
        pass

    def __len__(self):
        return 1

    def get_data_info(self, idx):
        return dict(seg_map_path=osp.join(self.data_root, 'labels', 'a_labelTrainIds.png'))

    def __getitem__(self, idx):
        self.calls += 1
        return next(self.crops)


def crop(pixels_of_class_1):
    label = np.zeros(4000, dtype=np.uint8)
    label[:pixels_of_class_1] = 1
    return dict(gt_seg_map=label)


@pytest.mark.parametrize('crops,calls,returned', [
    ([1500, 0, 1501, 4000], 3, 1501),  # > 3000 x 0.5 (strict) ends the re-crops
    ([1600], 1, 1600),
    ([0] * 12, 10, 0),  # at most 10 pipeline runs, the last crop is kept
])
def test_recrops_until_the_class_is_in_the_crop(tmp_path, crops, calls, returned):
    write_class_stats(str(tmp_path), [('labels/a_labelTrainIds.png', {1: 5000})])
    fake = FakeSource(tmp_path, [crop(n) for n in crops])
    rcs = RareClassSamplingDataset(fake)
    sample = rcs[0]
    assert fake.calls == calls and count_label_pixels(sample, 1) == returned


def test_count_label_pixels_of_packed_samples():
    data_sample = SegDataSample(gt_sem_seg=PixelData(data=torch.tensor([[[1, 1, 0]]])))
    assert count_label_pixels({'data_samples': {'labeled': data_sample, 'unlabeled': None}}, 1) == 2
    assert count_label_pixels({'data_samples': data_sample}, 0) == 1
    with pytest.raises(KeyError, match='has no label'):
        count_label_pixels({'data_samples': {'labeled': None}}, 1)


def test_statistics_not_matching_the_dataset_name_both(source, tmp_path):
    stats_dir = tmp_path / 'other'
    write_class_stats(str(stats_dir), [(f'labels/{i:05d}_labelTrainIds.png', {0: 5000})
                                       for i in (1, 2, 3, 4, 5, 99)])
    with pytest.raises(ValueError) as error:
        rcs_dataset(source, stats_dir=str(stats_dir))
    message = str(error.value)
    assert str(stats_dir / 'sample_class_stats.json') in message
    assert f"GTADataset (data_root='{source}', 6 samples)" in message
    assert "statistics only: ['labels/00099_labelTrainIds.png']" in message
    assert '00006_labelTrainIds.png' in message  # the dataset's file without statistics
    with pytest.raises(FileNotFoundError, match='sample_class_stats.json not found'):
        rcs_dataset(source, stats_dir=str(tmp_path / 'none'))


def test_statistics_of_another_root_match_by_file_name(source, tmp_path):
    # DAFormer's converters store paths such as data/gta/labels/00001_labelTrainIds.png.
    write_class_stats(str(tmp_path), [(f'data/gta/labels/{i + 1:05d}_labelTrainIds.png', s)
                                      for i, s in enumerate(FILE_STATS)])
    assert rcs_dataset(source, stats_dir=str(tmp_path)).files_of_class == ELIGIBLE
