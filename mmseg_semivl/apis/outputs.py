"""Writing inference results: colour masks, overlays and raw label PNGs."""
from __future__ import annotations

import os
import os.path as osp
from typing import Dict, Sequence

import cv2
import numpy as np

from ..visualization import colorize, overlay

#: Sub-folders of the output folder.
MASKS_DIR, OVERLAYS_DIR, LABELS_DIR = 'masks', 'overlays', 'labels'


class PredictionWriter:
    """Write the pictures of each prediction under one output folder.

    ``out_dir/masks/<name>.png`` (colour mask), ``out_dir/overlays/<name>.png``
    (mask blended over the image) and, with ``save_labels``,
    ``out_dir/labels/<name>.png`` (class indices: 8-bit, or 16-bit from 256
    classes on). All have the size of the input image.

    Memory: the pictures are composed ``band_pixels`` pixels (whole rows) at a time
    into one reused (H, W, 3) uint8 buffer, so writing costs 3 bytes per pixel beyond
    the image and its labels (the one-shot version needed about 40: int64 label copies
    and float32 blends of the whole picture).

    Args:
        out_dir (str): Output folder (created).
        palette (Sequence[Sequence[int]]): RGB colour per class.
        opacity (float): Mask weight in the overlays.
        save_labels (bool): Also write the raw label PNGs.
        band_pixels (int): Pixels composed at once.
    """

    def __init__(self, out_dir: str, palette: Sequence[Sequence[int]], opacity: float = 0.5,
                 save_labels: bool = False, band_pixels: int = 1 << 20) -> None:
        if band_pixels < 1:
            raise ValueError(f'band_pixels must be >= 1, got {band_pixels}')
        self.band_pixels = band_pixels
        self.out_dir = out_dir
        self.palette = [tuple(int(c) for c in colour) for colour in palette]
        self.opacity = opacity
        self.save_labels = save_labels
        folders = [MASKS_DIR, OVERLAYS_DIR] + ([LABELS_DIR] if save_labels else [])
        for folder in folders:
            os.makedirs(osp.join(out_dir, folder), exist_ok=True)

    def write(self, name: str, image: np.ndarray, labels: np.ndarray) -> Dict[str, str]:
        """Write the outputs of one image.

        Args:
            name (str): File stem of the outputs.
            image (np.ndarray): (H, W, 3) RGB uint8.
            labels (np.ndarray): (H, W) class indices.

        Returns:
            dict[str, str]: Written file per kind ('mask', 'overlay', 'labels').
        """
        if labels.shape != image.shape[:2]:
            raise ValueError(f'labels of {name!r} have shape {labels.shape}, the image '
                             f'{image.shape[:2]}')
        files = dict(mask=osp.join(self.out_dir, MASKS_DIR, f'{name}.png'),
                     overlay=osp.join(self.out_dir, OVERLAYS_DIR, f'{name}.png'))
        height, width = labels.shape
        picture = np.empty((height, width, 3), dtype=np.uint8)  # BGR, for cv2
        rows = max(1, self.band_pixels // max(width, 1))
        for top in range(0, height, rows):
            band = slice(top, top + rows)
            picture[band] = colorize(labels[band], self.palette)[..., ::-1]
        _write_png(files['mask'], picture)
        for top in range(0, height, rows):
            band = slice(top, top + rows)
            picture[band] = overlay(image[band], labels[band], self.palette,
                                    self.opacity)[..., ::-1]
        _write_png(files['overlay'], picture)
        del picture
        if self.save_labels:
            files['labels'] = osp.join(self.out_dir, LABELS_DIR, f'{name}.png')
            dtype = np.uint8 if len(self.palette) <= 256 else np.uint16
            _write_png(files['labels'], labels if labels.dtype == dtype else labels.astype(dtype))
        return files


def _write_png(path: str, array: np.ndarray) -> None:
    if not cv2.imwrite(path, np.ascontiguousarray(array)):
        raise OSError(f"could not write '{path}'")
