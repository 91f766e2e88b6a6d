"""Bottom/right padding of an image, its extra views and its pixel maps to a fixed size."""
from __future__ import annotations

from typing import Dict, Optional, Sequence, Tuple, Union

import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

from .valid_mask import VALID_MASK_KEY


@TRANSFORMS.register_module()
class PadToSize(BaseTransform):
    """Pad every image and pixel map of a sample to at least ``size``.

    MMSeg's ``RandomCrop`` does not pad, so after a down-scaling ``RandomResize`` the
    crop can be smaller than the crop size. MMCV's ``Pad`` only pads ``gt_seg_map``
    (and with a single value), which would leave a validity mask misaligned or pad it
    with 255. This transform pads on the bottom/right (like MMSeg's ``stack_batch``):

    * ``img`` and any key listed in ``results['img_fields']`` (e.g. the strong views
      of :class:`StrongAugment`) with ``pad_val``;
    * every key in ``results['seg_fields']`` with ``seg_pad_vals[key]`` if given,
      otherwise ``seg_pad_val`` (so labels get the ignore index and the validity
      mask gets 0 by default).

    Sides that are already at least as large as ``size`` are left unchanged.

    Required Keys:
        - img, (optional) img_fields, seg_fields and the keys they list

    Modified Keys:
        - img, the keys in img_fields and seg_fields, img_shape

    Added Keys:
        - pad_shape, pad_fixed_size

    Args:
        size (int | tuple[int, int]): Target (height, width); an int means square.
        pad_val (int | float): Value for padded image pixels. Defaults to 0.
        seg_pad_val (int): Value for padded pixel-map pixels without an entry in
            ``seg_pad_vals``. Defaults to 255 (MMSeg's ignore index).
        seg_pad_vals (dict[str, int], optional): Per-key pad values for pixel maps.
            Defaults to ``{'valid_mask': 0}``.
    """

    def __init__(self,
                 size: Union[int, Tuple[int, int]],
                 pad_val: Union[int, float] = 0,
                 seg_pad_val: int = 255,
                 seg_pad_vals: Optional[Dict[str, int]] = None) -> None:
        if isinstance(size, int):
            size = (size, size)
        if len(size) != 2 or min(size) <= 0:
            raise ValueError(f'PadToSize: size must be a positive int or (height, width), '
                             f'got {size!r}')
        self.size = tuple(int(s) for s in size)
        self.pad_val = pad_val
        self.seg_pad_val = seg_pad_val
        self.seg_pad_vals = dict(seg_pad_vals) if seg_pad_vals is not None else {
            VALID_MASK_KEY: 0
        }

    def _pad(self, array: np.ndarray, value: Union[int, float]) -> np.ndarray:
        pad_h = max(self.size[0] - array.shape[0], 0)
        pad_w = max(self.size[1] - array.shape[1], 0)
        if pad_h == 0 and pad_w == 0:
            return array
        pad_width = [(0, pad_h), (0, pad_w)] + [(0, 0)] * (array.ndim - 2)
        return np.pad(array, pad_width, mode='constant', constant_values=value)

    def transform(self, results: dict) -> dict:
        """Pad images and pixel maps.

        Args:
            results (dict): Result dict; images are (H, W, C) or (H, W), pixel maps
                (H, W), all of the same (H, W).

        Returns:
            dict: ``results`` with all of them of shape (max(H, size_h), max(W, size_w)).
        """
        img_shape = results['img'].shape[:2]
        img_keys: Sequence[str] = results.get('img_fields', ['img'])
        seg_keys: Sequence[str] = results.get('seg_fields', [])
        for key in [*img_keys, *seg_keys]:
            if key not in results:
                raise KeyError(f'PadToSize: "{key}" is listed in img_fields/seg_fields '
                               'but missing from results.')
            if results[key].shape[:2] != img_shape:
                raise ValueError(
                    f'PadToSize: results["{key}"] has shape {results[key].shape[:2]} but '
                    f'results["img"] has {img_shape}; a geometric transform did not '
                    'update it (with RandomResize, use the mmseg default scope so that '
                    "mmseg's Resize, which resizes every seg field, is built).")
        for key in img_keys:
            results[key] = self._pad(results[key], self.pad_val)
        for key in seg_keys:
            results[key] = self._pad(results[key], self.seg_pad_vals.get(key, self.seg_pad_val))
        results['img_shape'] = results['img'].shape[:2]
        results['pad_shape'] = results['img'].shape
        results['pad_fixed_size'] = self.size
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(size={self.size}, pad_val={self.pad_val}, '
                f'seg_pad_val={self.seg_pad_val}, seg_pad_vals={self.seg_pad_vals})')
