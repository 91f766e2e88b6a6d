"""Random two-stream training batches in the data loader's format (no dataset needed)."""
from __future__ import annotations

from typing import Sequence, Tuple

import numpy as np
from mmengine.dataset import pseudo_collate

from mmseg_semivl.datasets.transforms import AddValidMask, GenerateCutMixBox, PackSemiInputs
from mmseg_semivl.datasets.transforms.strong_augment import STRONG_VIEW_KEY


def _image(rng: np.random.Generator, size: Tuple[int, int]) -> np.ndarray:
    return rng.integers(0, 256, size=(*size, 3), dtype=np.uint8)


def make_synthetic_semi_batch(num_labeled: int,
                              num_unlabeled: int,
                              crop_size: Sequence[int],
                              num_classes: int,
                              num_strong_views: int = 2,
                              seed: int = 0) -> dict:
    """A collated batch of random labeled and unlabeled samples of one crop size.

    The samples go through the last transforms of the real pipelines
    (``AddValidMask``, ``GenerateCutMixBox`` with its defaults, ``PackSemiInputs``) and
    :func:`mmengine.dataset.pseudo_collate`, so the batch is exactly what
    ``SemiSegDataPreProcessor`` receives from the loader: uint8 images, random labels
    in ``[0, num_classes)``, full valid masks, random strong views and CutMix boxes.

    Args:
        num_labeled (int): Labeled samples (>= 1).
        num_unlabeled (int): Unlabeled samples (>= 0).
        crop_size (Sequence[int]): (H, W) of every image.
        num_classes (int): Label range of the labeled ground truth.
        num_strong_views (int): Strong views per unlabeled sample. Default: 2.
        seed (int): Seed of the random content. Default: 0.

    Returns:
        dict: ``{'inputs': {branch: [uint8 (3, H, W) or None] * B},
        'data_samples': {group: [SegDataSample or None] * B}}``, labeled samples first.
    """
    if num_labeled < 1 or num_unlabeled < 0:
        raise ValueError('a synthetic batch needs num_labeled >= 1 and num_unlabeled >= 0, got '
                         f'{num_labeled} and {num_unlabeled}')
    size = (int(crop_size[0]), int(crop_size[1]))
    rng = np.random.default_rng(seed)
    pack_labeled = PackSemiInputs(branch='labeled', num_strong_views=num_strong_views)
    pack_unlabeled = PackSemiInputs(branch='unlabeled', num_strong_views=num_strong_views)
    add_valid_mask = AddValidMask()
    add_boxes = GenerateCutMixBox(num_boxes=num_strong_views)

    samples = []
    for _ in range(num_labeled):
        results = dict(img=_image(rng, size), img_shape=size, ori_shape=size,
                       gt_seg_map=rng.integers(0, num_classes, size=size, dtype=np.int64))
        samples.append(pack_labeled(results))
    for _ in range(num_unlabeled):
        results = dict(img=_image(rng, size), img_shape=size, ori_shape=size)
        for view in range(1, num_strong_views + 1):
            results[STRONG_VIEW_KEY.format(view)] = _image(rng, size)
        samples.append(pack_unlabeled(add_boxes(add_valid_mask(results))))
    return pseudo_collate(samples)
