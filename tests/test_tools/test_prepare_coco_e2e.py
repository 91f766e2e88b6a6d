"""prepare_coco.py end to end with pycocotools (requirements-tests.txt) on a COCO miniature."""
import json
import os

import cv2
import numpy as np

from tools.dataset_converters import prepare_coco
import pytest

pytestmark = pytest.mark.e2e

# COCO 2017's 80 category ids (with the gaps of the 91-id numbering).
COCO_IDS = [i for i in range(1, 91) if i not in (12, 26, 29, 30, 45, 66, 68, 69, 71, 83)]
H, W = 8, 10


def uncompressed_rle(mask: np.ndarray) -> dict:
    """COCO's uncompressed RLE (column-major runs, starting with zeros)."""
    flat = mask.flatten(order='F').astype(np.uint8)
    counts, current, run = [], 0, 0
    for value in flat:
        if value == current:
            run += 1
        else:
            counts.append(run)
            current, run = value, 1
    counts.append(run)
    return dict(counts=counts, size=[H, W])


def test_polygons_crowd_rle_and_overlaps_become_the_81_class_mask(tmp_path):
    root = tmp_path / 'coco'
    for subset in ('train2017', 'annotations'):
        (root / subset).mkdir(parents=True)
    cv2.imwrite(str(root / 'train2017' / '000000000042.jpg'), np.zeros((H, W, 3), np.uint8))
    crowd = np.zeros((H, W), np.uint8)
    crowd[6:, :] = 1
    annotations = [
        # A large person (category 1) covering the left 6 columns of rows 0-5 ...
        dict(id=1, image_id=42, category_id=1, iscrowd=0, area=36.0,
             segmentation=[[0, 0, 6, 0, 6, 6, 0, 6]], bbox=[0, 0, 6, 6]),
        # ... with a small dog (category 18 -> label 17) on top of it: smaller is drawn last.
        dict(id=2, image_id=42, category_id=18, iscrowd=0, area=4.0,
             segmentation=[[2, 2, 4, 2, 4, 4, 2, 4]], bbox=[2, 2, 2, 2]),
        # A crowd of cars (category 3) over the last two rows: ignore by default.
        dict(id=3, image_id=42, category_id=3, iscrowd=1, area=20.0,
             segmentation=uncompressed_rle(crowd), bbox=[0, 6, 10, 2]),
    ]
    instances = dict(
        images=[dict(id=42, file_name='000000000042.jpg', height=H, width=W)],
        annotations=annotations,
        categories=[dict(id=i, name=f'c{i}', supercategory='x') for i in COCO_IDS])
    (root / 'annotations' / 'instances_train2017.json').write_text(json.dumps(instances))

    assert prepare_coco.main([str(root), '--subsets', 'train2017']) == 0
    mask = cv2.imread(str(root / 'masks' / '000000000042.png'), cv2.IMREAD_UNCHANGED)
    assert mask.shape == (H, W) and mask.dtype == np.uint8
    label_of = {cat: i + 1 for i, cat in enumerate(COCO_IDS)}
    assert label_of[18] == 17
    assert mask[1, 1] == label_of[1] and mask[3, 3] == label_of[18]
    assert (mask[6:] == 255).all()  # crowd -> ignore
    assert mask[2, 8] == 0  # background
    assert set(np.unique(mask)) == {0, label_of[1], label_of[18], 255}

    os.remove(root / 'masks' / '000000000042.png')
    prepare_coco.main([str(root), '--subsets', 'train2017', '--crowd', 'class'])
    as_class = cv2.imread(str(root / 'masks' / '000000000042.png'), cv2.IMREAD_UNCHANGED)
    assert (as_class[6:] == label_of[3]).all()
