"""Mark the pixels of a sample that come from the real image (not padding)."""
from __future__ import annotations

import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

VALID_MASK_KEY = 'valid_mask'


@TRANSFORMS.register_module()
class AddValidMask(BaseTransform):
    """Add an all-ones validity mask that later geometric transforms keep aligned.

    The mask is registered in ``results['seg_fields']``, so MMSeg's ``Resize`` (also
    when built by ``RandomResize`` under the ``mmseg`` default scope), ``RandomCrop``
    and ``RandomFlip`` move it exactly like a label map (nearest interpolation), and
    :class:`PadToSize` pads it with 0. After the pipeline it is 1 on real image pixels
    and 0 on padding, which lets the unsupervised losses ignore the padded border.

    Required Keys:
        - img

    Added Keys:
        - valid_mask (np.ndarray): (H, W) uint8 ones.

    Modified Keys:
        - seg_fields

    Args:
        key (str): Name of the added mask in ``results``. Defaults to ``'valid_mask'``.
    """

    def __init__(self, key: str = VALID_MASK_KEY) -> None:
        self.key = key

    def transform(self, results: dict) -> dict:
        """Add the mask of the current image size.

        Args:
            results (dict): Result dict with ``img`` (H, W, C).

        Returns:
            dict: ``results`` with ``results[key]`` (H, W) uint8 ones.
        """
        if 'img' not in results:
            raise KeyError(f'{self.__class__.__name__} needs results["img"]; place it '
                           'after LoadImageFromFile in the pipeline.')
        height, width = results['img'].shape[:2]
        results[self.key] = np.ones((height, width), dtype=np.uint8)
        seg_fields = results.setdefault('seg_fields', [])
        if self.key not in seg_fields:
            seg_fields.append(self.key)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(key={self.key!r})'
