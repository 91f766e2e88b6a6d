"""Learning-benchmark rows: each changes exactly one component of the full method."""
import os.path as osp

import pytest

from mmseg_semivl.benchmarks.learning import (ROW_ORDER, TRAINED_ROWS, build_row_config,
                                              markdown, read_split, scene_task, summarise,
                                              train_row, zero_shot_row)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO, 'configs', 'learning', 'semivl_scenes.py')


@pytest.fixture(scope='module')
def task(tmp_path_factory):
    return scene_task(str(tmp_path_factory.mktemp('scenes')), num_labeled=3, pool=6, num_val=2)


def test_scene_task_splits(task):
    labeled, unlabeled = read_split(task.labeled), read_split(task.unlabeled)
    assert len(labeled) == 3 and len(unlabeled) == 3
    assert read_split(task.all) == labeled + unlabeled
    assert task.classes == ('background', 'vegetation', 'water', 'sand', 'brick')
    with pytest.raises(ValueError, match='num_labeled=7'):
        scene_task(osp.dirname(osp.dirname(task.root)), num_labeled=7, pool=6, num_val=2)


def rows(task, tmp_path):
    return {row: build_row_config(CONFIG, row, 0, task, str(tmp_path / row), iters=10)
            for row in TRAINED_ROWS}


def test_rows_differ_in_one_component(task, tmp_path):
    cfgs = rows(task, tmp_path)
    full = cfgs['class_definitions']
    assert full.model.guidance.aggregation == 'max' and full.model.use_consistency
    assert full.train_dataloader.batch_size == 8
    assert cfgs['clip_guidance'].model.guidance.aggregation == 'name'
    assert cfgs['unimatch'].model.guidance is None and cfgs['unimatch'].model.use_consistency
    sup = cfgs['supervised']
    # Same labeled batch (4), no unlabeled stream loaded at all.
    assert sup.train_dataloader.batch_size == 4
    assert sup.train_dataloader.dataset.ann_file == task.labeled
    assert sup.model.guidance is None and sup.model.use_consistency is False
    assert cfgs['fully_supervised'].train_dataloader.dataset.ann_file == task.all
    head = cfgs['unimatch_head'].model
    assert head.decode_head.type == 'DeepLabV3PlusViTHead' and head.backbone.finetune == 'full'
    for cfg in cfgs.values():  # same budget and seed everywhere
        assert cfg.train_cfg.max_iters == 10 and cfg.param_scheduler[0].end == 10
        assert cfg.randomness.seed == 0
        assert cfg.val_dataloader.dataset.ann_file == task.val
    with pytest.raises(ValueError, match="unknown benchmark row 'nope'"):
        build_row_config(CONFIG, 'nope', 0, task, str(tmp_path))


def test_full_method_trains_and_evaluates(task, tmp_path):
    cfg = build_row_config(CONFIG, 'class_definitions', 0, task, str(tmp_path), iters=2)
    cfg.train_dataloader.batch_size = cfg.train_dataloader.sampler.batch_size = 4
    out = train_row(cfg)
    assert 0.0 <= out['metrics']['mIoU'] <= 100.0
    assert out['runner'].iter == 2
    # The shipped tiny CLIP guides: its guidance loss terms were computed.
    scalars = list(out['runner'].message_hub.log_scalars)
    assert any(k.endswith('loss_guidance_s1') for k in scalars), scalars
    assert any(k.endswith('guidance_coverage') for k in scalars), scalars


def test_zero_shot_row_matches_the_tiny_clip_on_the_same_images(task, tmp_path):
    metrics = zero_shot_row(CONFIG, task, str(tmp_path))['metrics']
    assert 0.0 <= metrics['mIoU'] <= 100.0


def test_summary_mean_and_spread():
    results = [dict(num_labeled=8, row='unimatch', mIoU=v) for v in (50.0, 52.0, 54.0)] + [
        dict(num_labeled=8, row='supervised', mIoU=40.0)]
    table = summarise(results)
    assert [t['row'] for t in table] == ['supervised', 'unimatch']  # paper order
    assert table[1] == dict(num_labeled=8, row='unimatch', seeds=3, mean=52.0, std=2.0,
                            min=50.0, max=54.0)
    assert '| 8 | unimatch | 52.00 | 2.00 | 50.00 | 54.00 | 3 |' in markdown(table)
    assert ROW_ORDER[-1] == 'zero_shot'
