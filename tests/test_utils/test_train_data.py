"""Supervised-only configs do not load the unlabeled stream."""
from mmengine.config import Config

from mmseg_semivl.utils.train_data import drop_unlabeled_stream


def two_stream(use_consistency, ratio=(1, 1), batch=8):
    return Config(dict(
        model=dict(use_consistency=use_consistency, guidance=dict(type='DenseCLIPZeroShot')),
        train_dataloader=dict(
            batch_size=batch,
            sampler=dict(type='MultiSourceSampler', batch_size=batch, source_ratio=ratio),
            dataset=dict(type='ConcatDataset', datasets=[dict(ann_file='l.txt'),
                                                         dict(ann_file='u.txt')]))))


def test_supervised_only_keeps_the_labeled_share_of_the_batch():
    cfg = two_stream(False, ratio=(1, 3), batch=8)
    assert drop_unlabeled_stream(cfg)
    loader = cfg.train_dataloader
    assert loader.batch_size == 2 and loader.sampler.type == 'InfiniteSampler'
    assert loader.dataset.ann_file == 'l.txt' and cfg.model.guidance is None


def test_semi_supervised_configs_are_left_alone():
    cfg = two_stream(True)
    assert not drop_unlabeled_stream(cfg)
    assert cfg.train_dataloader.batch_size == 8 and len(cfg.train_dataloader.dataset.datasets) == 2
