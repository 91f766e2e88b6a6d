import numpy as np
import pytest
from mmseg.registry import TRANSFORMS

from mmseg_semivl.datasets.transforms import GenerateCutMixBox


def box_extent(mask: np.ndarray):
    """(height, width) of the box, checking that the mask is one filled rectangle."""
    rows, cols = np.nonzero(mask.any(1))[0], np.nonzero(mask.any(0))[0]
    height, width = rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
    assert mask.sum() == height * width, 'mask is not a filled rectangle'
    return height, width


def test_keys_shapes_and_dtype():
    transform = TRANSFORMS.build(dict(type='GenerateCutMixBox'))
    results = transform(dict(img=np.zeros((40, 60, 3), np.uint8)))
    for key in ('cutmix_box1', 'cutmix_box2'):
        assert results[key].shape == (40, 60) and results[key].dtype == np.uint8
        assert set(np.unique(results[key])) <= {0, 1}


def test_probability_area_and_aspect_statistics():
    height, width, draws = 120, 160, 1500
    transform = GenerateCutMixBox(num_boxes=1)
    np.random.seed(0)
    areas, aspects, applied = [], [], 0
    for _ in range(draws):
        mask = transform.generate(height, width)
        if not mask.any():
            continue
        applied += 1
        box_h, box_w = box_extent(mask)
        areas.append(box_h * box_w / (height * width))
        aspects.append(box_h / box_w)
    # Binomial(1500, 0.5) has std 0.013 in the rate: +-0.05 is about 4 sigma.
    assert abs(applied / draws - 0.5) < 0.05
    areas, aspects = np.array(areas), np.array(aspects)
    # int() truncation of the sides shrinks a box by < 1 px per side.
    assert areas.max() <= 0.4 and areas.min() >= 0.02 * 0.8
    assert aspects.min() >= 0.3 * 0.85 and aspects.max() <= (1 / 0.3) * 1.15
    # The whole ranges are used, not a corner of them.
    assert areas.min() < 0.04 and areas.max() > 0.35
    assert aspects.min() < 0.45 and aspects.max() > 2.2


def test_boxes_of_the_two_views_are_independent():
    transform = GenerateCutMixBox()
    np.random.seed(1)
    different = 0
    for _ in range(20):
        results = transform(dict(img=np.zeros((32, 32, 3), np.uint8)))
        different += not np.array_equal(results['cutmix_box1'], results['cutmix_box2'])
    assert different >= 10


def test_probability_extremes():
    np.random.seed(0)
    never, always = GenerateCutMixBox(prob=0.0), GenerateCutMixBox(prob=1.0)
    for _ in range(20):
        assert not never.generate(32, 48).any()
        assert always.generate(32, 48).any()


def test_same_seed_same_boxes():
    transform = GenerateCutMixBox()
    np.random.seed(7)
    first = [transform.generate(50, 70) for _ in range(5)]
    np.random.seed(7)
    second = [transform.generate(50, 70) for _ in range(5)]
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


def test_rejects_bad_arguments():
    with pytest.raises(ValueError, match='area_range'):
        GenerateCutMixBox(area_range=(0.5, 0.2))
    with pytest.raises(ValueError, match='prob'):
        GenerateCutMixBox(prob=2)
