"""Writing inference results: colour masks, overlays and raw label PNGs."""
from __future__ import annotations

import os
import os.path as osp
from typing import Dict, Iterator, Sequence, Tuple, Union

import numpy as np

from ..visualization import colorize, overlay
from .png_stream import StreamingPNGWriter
from .predictor import LabelBands

#: Sub-folders of the output folder.
MASKS_DIR, OVERLAYS_DIR, LABELS_DIR = 'masks', 'overlays', 'labels'


class PredictionWriter:
    """Write the pictures of each prediction under one output folder.

    ``out_dir/masks/<name>.png`` (colour mask), ``out_dir/overlays/<name>.png``
    (mask blended over the image) and, with ``save_labels``,
    ``out_dir/labels/<name>.png`` (class indices: 8-bit, or 16-bit from 256
    classes on). All have the size of the input image.

    Memory: the labels come in bands of rows (a :class:`LabelBands` from
    ``predict_files(..., stream=True)``, or slices of a whole map) and every picture is
    encoded band by band (:class:`StreamingPNGWriter`), so writing costs about
    ``band_pixels`` x 40 bytes whatever the image size; the only full-size array is the
    caller's decoded image (the one-shot version needed ~40 bytes per pixel: int64 label
    copies and float32 blends of the whole picture; the band version before streaming
    still held a whole (H, W, 3) picture).

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


    def write(self, name: str, image: np.ndarray,
              labels: Union[np.ndarray, LabelBands]) -> Dict[str, str]:
        """Write the outputs of one image.

        Args:
            name (str): File stem of the outputs.
            image (np.ndarray): (H, W, 3) RGB uint8.
            labels (np.ndarray | LabelBands): (H, W) class indices, whole or in bands.

        Returns:
            dict[str, str]: Written file per kind ('mask', 'overlay', 'labels').
        """
        if tuple(labels.shape) != image.shape[:2]:
            raise ValueError(f'labels of {name!r} have shape {tuple(labels.shape)}, the image '
                             f'{image.shape[:2]}')
        height, width = image.shape[:2]
        files = dict(mask=osp.join(self.out_dir, MASKS_DIR, f'{name}.png'),
                     overlay=osp.join(self.out_dir, OVERLAYS_DIR, f'{name}.png'))
        writers = dict(mask=StreamingPNGWriter(files['mask'], width, height),
                       overlay=StreamingPNGWriter(files['overlay'], width, height))
        dtype = np.uint8 if len(self.palette) <= 256 else np.uint16
        if self.save_labels:
            files['labels'] = osp.join(self.out_dir, LABELS_DIR, f'{name}.png')
            writers['labels'] = StreamingPNGWriter(files['labels'], width, height, 1, dtype)
        try:
            for top, band in self._bands(labels, width):
                writers['mask'].write_rows(colorize(band, self.palette))
                writers['overlay'].write_rows(
                    overlay(image[top:top + len(band)], band, self.palette, self.opacity))
                if 'labels' in writers:
                    writers['labels'].write_rows(band.astype(dtype, copy=False))
            for writer in writers.values():
                writer.close()
        except BaseException:
            for writer in writers.values():
                writer.abort()
            raise
        return files

    def _bands(self, labels: Union[np.ndarray, LabelBands],
               width: int) -> Iterator[Tuple[int, np.ndarray]]:
        """(top, labels[top:top + n]) bands of about ``band_pixels`` pixels."""
        if isinstance(labels, LabelBands):
            yield from labels
            return
        rows = max(1, self.band_pixels // max(width, 1))
        for top in range(0, labels.shape[0], rows):
            yield top, labels[top:top + rows]
