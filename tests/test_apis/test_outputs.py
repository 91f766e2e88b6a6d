"""Palette, overlays and the files written for each prediction."""
import mmseg_semivl  # noqa: F401  (must precede mmseg imports)

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
