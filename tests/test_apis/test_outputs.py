"""Palette, overlays and the files written for each prediction."""

import cv2
import numpy as np
import pytest
from mmseg.datasets import PascalVOCDataset

from mmseg_semivl.apis import PredictionWriter
from mmseg_semivl.visualization import generate_palette, overlay


def test_palette_is_voc_colour_map_and_distinct():
    assert generate_palette(21) == [tuple(c) for c in PascalVOCDataset.METAINFO['palette']]
    assert len(set(generate_palette(256))) == 256


def test_overlay_blends_and_keeps_ignored_pixels():
    image = np.full((1, 3, 3), 100, np.uint8)
    label = np.array([[0, 1, 255]])
    out = overlay(image, label, [(0, 0, 0), (200, 0, 100)], opacity=0.25)
    assert out.tolist() == [[[75, 75, 75], [125, 75, 100], [100, 100, 100]]]
    with pytest.raises(ValueError, match='opacity'):
        overlay(image, label, [(0, 0, 0)], opacity=1.5)


@pytest.mark.parametrize('num_classes, dtype', [(3, np.uint8), (300, np.uint16)])
def test_writer_files(tmp_path, num_classes, dtype):
    labels = np.array([[0, 1], [2, num_classes - 1]])
    image = np.zeros((2, 2, 3), np.uint8)
    writer = PredictionWriter(str(tmp_path), generate_palette(num_classes), save_labels=True)
    files = writer.write('x', image, labels)
    raw = cv2.imread(files['labels'], cv2.IMREAD_UNCHANGED)
    assert raw.dtype == dtype and raw.tolist() == labels.tolist()
    mask = cv2.imread(files['mask'])[..., ::-1]
    assert mask[0, 1].tolist() == [128, 0, 0]  # class 1 in the VOC colours
    assert cv2.imread(files['overlay']).shape == (2, 2, 3)
    with pytest.raises(ValueError, match="labels of 'x'"):
        writer.write('x', np.zeros((3, 2, 3), np.uint8), labels)


def test_streamed_labels_write_the_same_files_as_a_whole_map(tmp_path):
    import torch

    from mmseg_semivl.apis.predictor import LabelBands
    torch.manual_seed(0)
    logits = torch.randn(4, 7, 9)
    bands = LabelBands(logits, (61, 83), tile_pixels=500)
    image = np.random.default_rng(0).integers(0, 256, (61, 83, 3)).astype(np.uint8)
    palette = generate_palette(4)
    whole = PredictionWriter(str(tmp_path / 'whole'), palette, save_labels=True, band_pixels=300)
    streamed = PredictionWriter(str(tmp_path / 'streamed'), palette, save_labels=True)
    files_a = whole.write('x', image, bands.to_array())
    files_b = streamed.write('x', image, bands)
    for kind in ('mask', 'overlay', 'labels'):
        a = cv2.imread(files_a[kind], cv2.IMREAD_UNCHANGED)
        b = cv2.imread(files_b[kind], cv2.IMREAD_UNCHANGED)
        assert np.array_equal(a, b), kind
    labels = cv2.imread(files_b['labels'], cv2.IMREAD_UNCHANGED)
    assert np.array_equal(labels, bands.to_array())
    expected = overlay(image, labels, palette, 0.5)
    assert np.array_equal(cv2.imread(files_b['overlay'])[..., ::-1], expected)


def test_writing_costs_one_band_not_the_picture(tmp_path):
    """tracemalloc sees numpy's allocations: the pictures never exist whole."""
    import tracemalloc

    import torch

    from mmseg_semivl.apis.predictor import LabelBands
    height, width = 1500, 2000
    image = np.zeros((height, width, 3), np.uint8)
    bands = LabelBands(torch.randn(21, 12, 16), (height, width), tile_pixels=20_000)
    writer = PredictionWriter(str(tmp_path), generate_palette(21), save_labels=True,
                              band_pixels=20_000)
    tracemalloc.start()
    writer.write('x', image, bands)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # One band of 20k pixels costs ~1 MB (colours, float blends, filtered rows); a whole
    # picture would be 9 MB, whole labels 3 MB.
    assert peak < 3_000_000, peak
    assert cv2.imread(str(tmp_path / 'overlays' / 'x.png')).shape == (height, width, 3)
