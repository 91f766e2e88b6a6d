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

    Args:
        out_dir (str): Output folder (created).
        palette (Sequence[Sequence[int]]): RGB colour per class.
        opacity (float): Mask weight in the overlays.
        save_labels (bool): Also write the raw label PNGs.
    """

    def __init__(self, out_dir: str, palette: Sequence[Sequence[int]], opacity: float = 0.5,
                 save_labels: bool = False) -> None:
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
        _write_png(files['mask'], colorize(labels, self.palette)[..., ::-1])
        _write_png(files['overlay'],
                   overlay(image, labels, self.palette, self.opacity)[..., ::-1])
        if self.save_labels:
            files['labels'] = osp.join(self.out_dir, LABELS_DIR, f'{name}.png')
            dtype = np.uint8 if len(self.palette) <= 256 else np.uint16
            _write_png(files['labels'], labels.astype(dtype))
        return files


def _write_png(path: str, array: np.ndarray) -> None:
    if not cv2.imwrite(path, np.ascontiguousarray(array)):
        raise OSError(f"could not write '{path}'")
