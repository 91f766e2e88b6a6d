import itertools

import pytest
from mmengine.dataset import BaseDataset
from mmengine.dataset import ConcatDataset as MMEngineConcatDataset
from mmengine.dataset import pseudo_collate
from mmseg.registry import DATA_SAMPLERS
from torch.utils.data import ConcatDataset, DataLoader

from mmseg_semivl.datasets.samplers import MultiSourceSampler

NUM_LABELED, NUM_UNLABELED = 4, 10


def make_dataset(num_labeled=NUM_LABELED, num_unlabeled=NUM_UNLABELED):
    labeled = [dict(source='labeled', index=i) for i in range(num_labeled)]
    unlabeled = [dict(source='unlabeled', index=i) for i in range(num_unlabeled)]
    return ConcatDataset([labeled, unlabeled])


def take(sampler, n):
    return list(itertools.islice(iter(sampler), n))


def test_build_from_registry_and_defaults():
    sampler = DATA_SAMPLERS.build(
        dict(type='MultiSourceSampler', batch_size=2, seed=0), default_args=dict(
            dataset=make_dataset()))
    assert isinstance(sampler, MultiSourceSampler)
    assert sampler.num_per_source == [1, 1]
    assert (sampler.rank, sampler.world_size) == (0, 1)  # non-distributed run
    assert len(sampler) == NUM_LABELED + NUM_UNLABELED


@pytest.mark.parametrize('batch_size,ratio,expected', [(2, (1, 1), [1, 1]), (4, (1, 3), [1, 3]),
                                                       (5, (1, 1), [3, 2]), (6, (1, 2), [2, 4])])
def test_every_batch_has_the_configured_split(batch_size, ratio, expected):
    sampler = MultiSourceSampler(make_dataset(), batch_size, ratio, seed=0)
    assert sampler.num_per_source == expected
    indices = take(sampler, batch_size * 50)
    for start in range(0, len(indices), batch_size):
        batch = indices[start:start + batch_size]
        sources = [0 if i < NUM_LABELED else 1 for i in batch]
        assert sources == [0] * expected[0] + [1] * expected[1]


def test_infinite_and_each_pass_is_a_permutation():
    sampler = MultiSourceSampler(make_dataset(), batch_size=2, seed=1)
    indices = take(sampler, 2 * 10 * NUM_UNLABELED)  # 10 passes over the larger source
    labeled, unlabeled = indices[0::2], indices[1::2]
    # The smaller source repeats: every pass of NUM_LABELED draws covers it once.
    for start in range(0, len(labeled), NUM_LABELED):
        assert sorted(labeled[start:start + NUM_LABELED]) == list(range(NUM_LABELED))
    for start in range(0, len(unlabeled), NUM_UNLABELED):
        assert sorted(unlabeled[start:start + NUM_UNLABELED]) == list(
            range(NUM_LABELED, NUM_LABELED + NUM_UNLABELED))
    # Passes are reshuffled.
    passes = {tuple(labeled[s:s + NUM_LABELED]) for s in range(0, len(labeled), NUM_LABELED)}
    assert len(passes) > 1


def test_ranks_get_disjoint_shards_of_each_source():
    dataset = make_dataset(num_labeled=6, num_unlabeled=12)
    world_size = 3
    per_rank = [take(MultiSourceSampler(dataset, 2, seed=5, rank=r, world_size=world_size),
                     2 * 4) for r in range(world_size)]  # 4 batches = one pass of each shard
    labeled = [indices[0::2] for indices in per_rank]
    unlabeled = [indices[1::2] for indices in per_rank]
    # First pass: 6 labeled / 3 ranks = 2 per rank, 12 unlabeled / 3 ranks = 4 per rank.
    first_labeled = [set(x[:2]) for x in labeled]
    assert set.union(*first_labeled) == set(range(6)) and sum(map(len, first_labeled)) == 6
    first_unlabeled = [set(x[:4]) for x in unlabeled]
    assert set.union(*first_unlabeled) == set(range(6, 18))
    assert sum(map(len, first_unlabeled)) == 12


def test_same_seed_same_order_and_epoch_reshuffles():
    dataset = make_dataset()
    first = take(MultiSourceSampler(dataset, 2, seed=3), 40)
    assert first == take(MultiSourceSampler(dataset, 2, seed=3), 40)
    assert first != take(MultiSourceSampler(dataset, 2, seed=4), 40)
    sampler = MultiSourceSampler(dataset, 2, seed=3)
    sampler.set_epoch(1)
    assert take(sampler, 40) != first
    sampler.set_epoch(0)
    assert take(sampler, 40) == first


def test_sources_are_shuffled_independently():
    # Equal sizes and one seed must not pair labeled i with unlabeled i forever.
    indices = take(MultiSourceSampler(make_dataset(8, 8), 2, seed=0), 16)
    assert [i - 8 for i in indices[1::2]] != indices[0::2]


def test_no_shuffle_is_sequential():
    indices = take(MultiSourceSampler(make_dataset(3, 5), 2, shuffle=False, seed=0), 12)
    assert indices[0::2] == [0, 1, 2, 0, 1, 2]
    assert indices[1::2] == [3, 4, 5, 6, 7, 3]


def test_dataloader_batches_with_pseudo_collate():
    dataset = make_dataset()
    sampler = MultiSourceSampler(dataset, batch_size=2, seed=0)
    loader = DataLoader(dataset, batch_size=2, sampler=sampler, collate_fn=pseudo_collate)
    for batch in itertools.islice(loader, 30):
        assert batch['source'] == ['labeled', 'unlabeled']


class ListDataset(BaseDataset):
    """An MMEngine dataset of ``size`` trivial items."""

    def __init__(self, size: int, **kwargs):
        self.size = size
        super().__init__(**kwargs)

    def load_data_list(self):
        return [dict(index=i) for i in range(self.size)]


def test_lazy_mmengine_concat_dataset():
    dataset = MMEngineConcatDataset([ListDataset(3, lazy_init=True),
                                     ListDataset(5, lazy_init=True)], lazy_init=True)
    sampler = MultiSourceSampler(dataset, batch_size=2, shuffle=False, seed=0)
    assert take(sampler, 6) == [0, 3, 1, 4, 2, 5]


def test_rejects_bad_configuration():
    with pytest.raises(TypeError, match='ConcatDataset'):
        MultiSourceSampler(list(range(5)), batch_size=2)
    with pytest.raises(ValueError, match='at least one'):
        MultiSourceSampler(make_dataset(), batch_size=1, source_ratio=(1, 1))
    with pytest.raises(ValueError, match='2 datasets'):
        MultiSourceSampler(make_dataset(), batch_size=2, source_ratio=(1, 1, 1))
    with pytest.raises(ValueError, match='rank'):
        MultiSourceSampler(make_dataset(), batch_size=2, rank=2, world_size=2)
