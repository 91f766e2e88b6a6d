"""Photometric strong augmentation of the unlabeled (weak) view, UniMatch style."""
from __future__ import annotations

from typing import List, Tuple

import cv2
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS
from torchvision.transforms import functional as TF

STRONG_VIEW_KEY = 'img_strong{}'


@TRANSFORMS.register_module()
class StrongAugment(BaseTransform):
    """Create ``num_views`` independently strongly augmented copies of ``img``.

    Each view is, in this order (UniMatch / SemiVL):

    1. with probability ``color_jitter_prob``: torchvision-style ColorJitter, i.e.
       brightness, contrast, saturation and hue adjustments in a random order with
       factors drawn uniformly from ``[1 - b, 1 + b]`` (hue shift in ``[-h, h]``);
    2. with probability ``grayscale_prob``: conversion to 3-channel grayscale;
    3. with probability ``blur_prob``: Gaussian blur with sigma uniform in ``blur_sigma``.

    The transform is purely photometric, so it belongs after all geometric transforms;
    the weak view ``img`` is left untouched. Colour operations run in RGB (hue and the
    grayscale weights depend on the channel order) and the views are returned in the
    input's channel order. All randomness comes from NumPy's global generator, which
    MMEngine seeds per worker, so runs are reproducible.

    Required Keys:
        - img (np.ndarray): (H, W, 3) uint8.

    Added Keys:
        - img_strong1, ..., img_strong{num_views} (np.ndarray): (H, W, 3) uint8.

    Modified Keys:
        - img_fields: the views are appended (created as ``['img']`` if absent) so
          that :class:`PadToSize` pads them like ``img``.

    Args:
        num_views (int): Number of strong views. Defaults to 2.
        brightness (float): ColorJitter brightness strength. Defaults to 0.5.
        contrast (float): ColorJitter contrast strength. Defaults to 0.5.
        saturation (float): ColorJitter saturation strength. Defaults to 0.5.
        hue (float): ColorJitter maximal hue shift, in [0, 0.5]. Defaults to 0.25.
        color_jitter_prob (float): Probability of ColorJitter. Defaults to 0.8.
        grayscale_prob (float): Probability of grayscale conversion. Defaults to 0.2.
        blur_prob (float): Probability of Gaussian blur. Defaults to 0.5.
        blur_sigma (tuple[float, float]): Range of the blur sigma in pixels.
            Defaults to (0.1, 2.0).
        channel_order (str): Channel order of ``img``, ``'bgr'`` (MMSeg's
            ``LoadImageFromFile``) or ``'rgb'``. Defaults to ``'bgr'``.
    """

    def __init__(self,
                 num_views: int = 2,
                 brightness: float = 0.5,
                 contrast: float = 0.5,
                 saturation: float = 0.5,
                 hue: float = 0.25,
                 color_jitter_prob: float = 0.8,
                 grayscale_prob: float = 0.2,
                 blur_prob: float = 0.5,
                 blur_sigma: Tuple[float, float] = (0.1, 2.0),
                 channel_order: str = 'bgr') -> None:
        if num_views < 1:
            raise ValueError(f'StrongAugment: num_views must be >= 1, got {num_views}')
        if not 0 <= hue <= 0.5:
            raise ValueError(f'StrongAugment: hue must be in [0, 0.5], got {hue}')
        for name, value in (('brightness', brightness), ('contrast', contrast),
                            ('saturation', saturation)):
            if value < 0:
                raise ValueError(f'StrongAugment: {name} must be >= 0, got {value}')
        for name, value in (('color_jitter_prob', color_jitter_prob),
                            ('grayscale_prob', grayscale_prob), ('blur_prob', blur_prob)):
            if not 0 <= value <= 1:
                raise ValueError(f'StrongAugment: {name} must be in [0, 1], got {value}')
        if not 0 < blur_sigma[0] <= blur_sigma[1]:
            raise ValueError(f'StrongAugment: blur_sigma must be 0 < low <= high, got {blur_sigma}')
        if channel_order not in ('bgr', 'rgb'):
            raise ValueError(f"StrongAugment: channel_order must be 'bgr' or 'rgb', "
                             f'got {channel_order!r}')
        self.num_views = num_views
        self.brightness = brightness
        self.contrast = contrast
        self.saturation = saturation
        self.hue = hue
        self.color_jitter_prob = color_jitter_prob
        self.grayscale_prob = grayscale_prob
        self.blur_prob = blur_prob
        self.blur_sigma = tuple(blur_sigma)
        self.channel_order = channel_order

    @property
    def view_keys(self) -> List[str]:
        """Result keys of the strong views: ``img_strong1``, ``img_strong2``, ..."""
        return [STRONG_VIEW_KEY.format(i + 1) for i in range(self.num_views)]

    def _color_jitter(self, img: torch.Tensor) -> torch.Tensor:
        """torchvision ColorJitter on an RGB uint8 (3, H, W) tensor, NumPy randomness."""
        order = np.random.permutation(4)
        brightness = np.random.uniform(max(0., 1 - self.brightness), 1 + self.brightness)
        contrast = np.random.uniform(max(0., 1 - self.contrast), 1 + self.contrast)
        saturation = np.random.uniform(max(0., 1 - self.saturation), 1 + self.saturation)
        hue = np.random.uniform(-self.hue, self.hue)
        for op in order:
            if op == 0:
                img = TF.adjust_brightness(img, brightness)
            elif op == 1:
                img = TF.adjust_contrast(img, contrast)
            elif op == 2:
                img = TF.adjust_saturation(img, saturation)
            else:
                img = TF.adjust_hue(img, hue)
        return img

    def augment(self, img: np.ndarray) -> np.ndarray:
        """Return one strong view of ``img``.

        Args:
            img (np.ndarray): (H, W, 3) uint8 in ``channel_order``.

        Returns:
            np.ndarray: (H, W, 3) uint8 in ``channel_order``.
        """
        rgb = img[..., ::-1] if self.channel_order == 'bgr' else img
        tensor = torch.from_numpy(np.ascontiguousarray(rgb.transpose(2, 0, 1)))
        if np.random.rand() < self.color_jitter_prob:
            tensor = self._color_jitter(tensor)
        if np.random.rand() < self.grayscale_prob:
            tensor = TF.rgb_to_grayscale(tensor, num_output_channels=3)
        out = tensor.permute(1, 2, 0).numpy()
        if np.random.rand() < self.blur_prob:
            sigma = np.random.uniform(*self.blur_sigma)
            # Kernel size (0, 0): OpenCV derives it from sigma (about 6 sigma + 1).
            out = cv2.GaussianBlur(np.ascontiguousarray(out), (0, 0), sigmaX=sigma)
        if self.channel_order == 'bgr':
            out = out[..., ::-1]
        return np.ascontiguousarray(out)

    def transform(self, results: dict) -> dict:
        """Add the strong views.

        Args:
            results (dict): Result dict with ``img`` (H, W, 3) uint8.

        Returns:
            dict: ``results`` with ``img_strong1`` ... (H, W, 3) uint8.
        """
        img = results.get('img')
        if img is None or img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
            desc = None if img is None else f'{img.dtype} array of shape {img.shape}'
            raise ValueError(f'StrongAugment expects results["img"] as an (H, W, 3) uint8 '
                             f'array, got {desc}.')
        img_fields = results.setdefault('img_fields', ['img'])
        for key in self.view_keys:
            results[key] = self.augment(img)
            if key not in img_fields:
                img_fields.append(key)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_views={self.num_views}, '
                f'brightness={self.brightness}, contrast={self.contrast}, '
                f'saturation={self.saturation}, hue={self.hue}, '
                f'color_jitter_prob={self.color_jitter_prob}, '
                f'grayscale_prob={self.grayscale_prob}, blur_prob={self.blur_prob}, '
                f'blur_sigma={self.blur_sigma}, channel_order={self.channel_order!r})')
