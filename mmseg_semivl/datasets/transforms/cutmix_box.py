"""Random CutMix boxes for the strong views of an unlabeled sample (UniMatch style)."""
from __future__ import annotations

from typing import List, Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

CUTMIX_BOX_KEY = 'cutmix_box{}'


@TRANSFORMS.register_module()
class GenerateCutMixBox(BaseTransform):
    """Draw one CutMix box mask per strong view.

    With probability ``prob`` a box is drawn as in UniMatch's ``obtain_cutmix_box``:
    its area is ``U(area_range) * H * W``, its aspect ratio ``height / width`` is
    ``U(aspect_range)``, and its top-left corner is uniform over the image; corner and
    ratio are redrawn until the box fits. Otherwise the mask is all zeros. The box is
    drawn over the whole (padded) canvas, so place this transform after padding.
    A value of 1 means "take the pixel of the mix partner" in the training step.

    Required Keys:
        - img

    Added Keys:
        - cutmix_box1, ..., cutmix_box{num_boxes} (np.ndarray): (H, W) uint8 masks.

    Args:
        num_boxes (int): Number of boxes, one per strong view. Defaults to 2.
        prob (float): Probability that a box is drawn. Defaults to 0.5.
        area_range (tuple[float, float]): Box area as a fraction of the image.
            Defaults to (0.02, 0.4).
        aspect_range (tuple[float, float]): Range of ``height / width``.
            Defaults to (0.3, 1 / 0.3).
        max_attempts (int): Redraws of ratio and corner before giving up with an
            error (only reachable for extremely elongated images). Defaults to 1000.
    """

    def __init__(self,
                 num_boxes: int = 2,
                 prob: float = 0.5,
                 area_range: Tuple[float, float] = (0.02, 0.4),
                 aspect_range: Tuple[float, float] = (0.3, 1 / 0.3),
                 max_attempts: int = 1000) -> None:
        if num_boxes < 1:
            raise ValueError(f'GenerateCutMixBox: num_boxes must be >= 1, got {num_boxes}')
        if not 0 <= prob <= 1:
            raise ValueError(f'GenerateCutMixBox: prob must be in [0, 1], got {prob}')
        if not 0 < area_range[0] <= area_range[1] <= 1:
            raise ValueError('GenerateCutMixBox: area_range must satisfy 0 < low <= high <= 1, '
                             f'got {area_range}')
        if not 0 < aspect_range[0] <= aspect_range[1]:
            raise ValueError('GenerateCutMixBox: aspect_range must satisfy 0 < low <= high, '
                             f'got {aspect_range}')
        self.num_boxes = num_boxes
        self.prob = prob
        self.area_range = tuple(area_range)
        self.aspect_range = tuple(aspect_range)
        self.max_attempts = max_attempts

    @property
    def box_keys(self) -> List[str]:
        """Result keys of the masks: ``cutmix_box1``, ``cutmix_box2``, ..."""
        return [CUTMIX_BOX_KEY.format(i + 1) for i in range(self.num_boxes)]

    def generate(self, height: int, width: int) -> np.ndarray:
        """Draw one box mask.

        Args:
            height (int): Image height H.
            width (int): Image width W.

        Returns:
            np.ndarray: (H, W) uint8, 1 inside the box (all zeros if no box is drawn).
        """
        mask = np.zeros((height, width), dtype=np.uint8)
        if np.random.rand() >= self.prob:
            return mask
        area = np.random.uniform(*self.area_range) * height * width
        for _ in range(self.max_attempts):
            ratio = np.random.uniform(*self.aspect_range)
            box_w = int(np.sqrt(area / ratio))
            box_h = int(np.sqrt(area * ratio))
            x = np.random.randint(0, width)
            y = np.random.randint(0, height)
            if x + box_w <= width and y + box_h <= height:
                mask[y:y + box_h, x:x + box_w] = 1
                return mask
        raise RuntimeError(f'GenerateCutMixBox: no box of area {area:.0f} px with aspect in '
                           f'{self.aspect_range} fits a {height}x{width} image after '
                           f'{self.max_attempts} attempts.')

    def transform(self, results: dict) -> dict:
        """Add ``num_boxes`` independent box masks of the image size.

        Args:
            results (dict): Result dict with ``img`` (H, W, C).

        Returns:
            dict: ``results`` with ``cutmix_box1`` ... (H, W) uint8.
        """
        height, width = results['img'].shape[:2]
        for key in self.box_keys:
            results[key] = self.generate(height, width)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_boxes={self.num_boxes}, prob={self.prob}, '
                f'area_range={self.area_range}, aspect_range={self.aspect_range})')
