"""SYNTHIA's 16- and 13-class mIoU (UDAIoUMetric) against a hand computation."""

import math

import pytest
import torch
from mmseg.evaluation import IoUMetric
from mmseg.registry import METRICS

from mmseg_semivl.datasets import CITYSCAPES_CLASSES, SYNTHIA_13_TRAIN_IDS, SYNTHIA_16_TRAIN_IDS
from mmseg_semivl.evaluation import UDAIoUMetric

# Two images (flattened to rows), 255 = ignore. Per class over both images:
#   road (0):    gt 4, pred 4, intersection 3 -> IoU 3 / 5
#   wall (3):    gt 2, pred 2, intersection 1 -> IoU 1 / 3
#   fence (4):   gt 0, pred 1                 -> IoU 0
#   terrain (9): gt 2, pred 1, intersection 1 -> IoU 1 / 2
#   pole (5) is predicted only on an ignored pixel: no IoU (NaN, skipped); the other
#   classes appear nowhere (NaN, skipped), as in MMSeg's mIoU.
GT = [[0, 0, 0, 0, 3], [3, 9, 9, 255]]
PRED = [[0, 0, 0, 3, 3], [4, 9, 0, 5]]
IOU = {0: 3 / 5, 3: 1 / 3, 4: 0.0, 9: 1 / 2}


def run(metric, gt=GT, pred=PRED):
    metric.dataset_meta = dict(classes=CITYSCAPES_CLASSES)
    samples = [dict(pred_sem_seg=dict(data=torch.tensor([p])),
                    gt_sem_seg=dict(data=torch.tensor([g])))
               for g, p in zip(gt, pred)]
    metric.process({}, samples)
    return metric.compute_metrics(metric.results)


def expected(classes):
    values = [IOU[c] for c in classes if c in IOU]
    return round(100 * sum(values) / len(values), 2)


def test_synthia_class_sets_are_the_literatures():
    assert SYNTHIA_16_TRAIN_IDS == (0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 15, 17, 18)
    assert SYNTHIA_13_TRAIN_IDS == (0, 1, 2, 6, 7, 8, 10, 11, 12, 13, 15, 17, 18)
    assert [CITYSCAPES_CLASSES[c] for c in sorted(set(range(19)) - set(SYNTHIA_16_TRAIN_IDS))] == [
        'terrain', 'truck', 'train']


def test_miou16_and_miou13_by_hand():
    metrics = run(METRICS.build(dict(type='UDAIoUMetric', class_subsets='synthia')))
    # 19 classes: road, wall, fence, terrain -> (0.6 + 0.3333 + 0 + 0.5) / 4 = 35.83
    assert metrics['mIoU'] == expected(range(19)) == 35.83
    # 16 classes: terrain is not one of them -> (0.6 + 0.3333 + 0) / 3 = 31.11
    assert metrics['mIoU16'] == expected(SYNTHIA_16_TRAIN_IDS) == 31.11
    # 13 classes: wall, fence, pole also out -> road only = 60.0
    assert metrics['mIoU13'] == expected(SYNTHIA_13_TRAIN_IDS) == 60.0
    # The 19-class numbers are MMSeg's own.
    plain = run(IoUMetric())
    assert plain['mIoU'] == metrics['mIoU'] and plain['aAcc'] == metrics['aAcc']


def test_subsets_accumulate_over_images_not_average_them():
    # Per-image averaging would give road IoU (3/4 + 0/1)/2 instead of 3/5.
    metrics = run(UDAIoUMetric(class_subsets={'road only': ['road']}, per_class=True))
    assert metrics['road only'] == 60.0 and metrics['IoU.road'] == 60.0
    assert metrics['IoU.wall'] == 33.33 and metrics['IoU.terrain'] == 50.0
    assert math.isnan(metrics['IoU.sky'])


def test_bad_subsets_are_named():
    with pytest.raises(ValueError, match="unknown class_subsets preset 'gta'"):
        UDAIoUMetric(class_subsets='gta')
    with pytest.raises(ValueError, match="class 'tree' of subset 'x' is not a class"):
        run(UDAIoUMetric(class_subsets={'x': ['tree']}))
    with pytest.raises(ValueError, match="class id 19 of subset 'x' is outside 0..18"):
        run(UDAIoUMetric(class_subsets={'x': [19]}))
