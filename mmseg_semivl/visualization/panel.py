"""Side-by-side picture panels: image | ground truth | prediction | pseudo-label | guidance."""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np

IGNORE_COLOR = (255, 255, 255)
TITLE_HEIGHT = 18


def generate_palette(num_classes: int) -> List[Tuple[int, int, int]]:
    """Deterministic, well-separated RGB colours for ``num_classes`` labels.

    The Pascal VOC colour map (the bits of the label index spread over the three
    channels): the first 21 colours are VOC's own palette, and any class list gets
    the same colours on every run and machine.

    Args:
        num_classes (int): Number of colours, at most 256 distinct ones.

    Returns:
        list[tuple[int, int, int]]: One RGB triple per class.
    """
    palette = []
    for label in range(num_classes):
        rgb = [0, 0, 0]
        value = label
        for bit in range(8):
            for channel in range(3):
                rgb[channel] |= ((value >> channel) & 1) << (7 - bit)
            value >>= 3
        palette.append(tuple(rgb))
    return palette


def colorize(label: np.ndarray, palette: Sequence[Sequence[int]],
             ignore_index: int = 255) -> np.ndarray:
    """Map a (H, W) label map to an (H, W, 3) RGB image; ignored pixels are white."""
    lut = np.zeros((256, 3), dtype=np.uint8)
    lut[:len(palette)] = np.asarray(palette, dtype=np.uint8)[:256]
    lut[ignore_index] = IGNORE_COLOR
    return lut[np.asarray(label, dtype=np.int64).clip(0, 255)]


def overlay(image: np.ndarray, label: np.ndarray, palette: Sequence[Sequence[int]],
            opacity: float = 0.5, ignore_index: int = 255) -> np.ndarray:
    """Blend a coloured label map over an image; ignored pixels keep the image.

    Args:
        image (np.ndarray): (H, W, 3) RGB uint8.
        label (np.ndarray): (H, W) labels.
        palette (Sequence[Sequence[int]]): RGB colour per class.
        opacity (float): Weight of the label colours, in [0, 1].
        ignore_index (int): Label left uncoloured.

    Returns:
        np.ndarray: (H, W, 3) RGB uint8.
    """
    if not 0.0 <= opacity <= 1.0:
        raise ValueError(f'opacity must be in [0, 1], got {opacity}')
    colour = colorize(label, palette, ignore_index).astype(np.float32)
    blended = (1.0 - opacity) * image.astype(np.float32) + opacity * colour
    keep = (np.asarray(label) == ignore_index)[..., None]
    return np.where(keep, image, blended.round().clip(0, 255).astype(np.uint8))


def _titled(image: np.ndarray, title: str) -> np.ndarray:
    bar = np.full((TITLE_HEIGHT, image.shape[1], 3), 255, dtype=np.uint8)
    cv2.putText(bar, title, (3, TITLE_HEIGHT - 5), cv2.FONT_HERSHEY_SIMPLEX, 0.4,
                (0, 0, 0), 1, cv2.LINE_AA)
    return np.concatenate([bar, image], axis=0)


def make_panel(image: np.ndarray,
               maps: Sequence[Tuple[str, Optional[np.ndarray]]],
               palette: Sequence[Sequence[int]],
               ignore_index: int = 255,
               gap: int = 4) -> np.ndarray:
    """One row: the RGB image, then each named label map in colour.

    Args:
        image (np.ndarray): (H, W, 3) RGB uint8.
        maps (Sequence[tuple[str, np.ndarray | None]]): (title, (H, W) labels);
            a None map is drawn as a grey tile (e.g. no ground truth).
        palette (Sequence[Sequence[int]]): RGB colour per class.
        ignore_index (int): Label drawn white (unconfident, void).
        gap (int): White pixels between tiles.

    Returns:
        np.ndarray: (TITLE_HEIGHT + H, W_total, 3) RGB uint8.
    """
    height, width = image.shape[:2]
    tiles = [_titled(image, 'image')]
    for title, label in maps:
        if label is None:
            tile = np.full((height, width, 3), 200, dtype=np.uint8)
        else:
            tile = colorize(label, palette, ignore_index)
        tiles.append(_titled(tile, title))
    spacer = np.full((height + TITLE_HEIGHT, gap, 3), 255, dtype=np.uint8)
    row = [tiles[0]]
    for tile in tiles[1:]:
        row += [spacer, tile]
    return np.concatenate(row, axis=1)


def stack_rows(rows: Sequence[np.ndarray], gap: int = 4) -> np.ndarray:
    """Stack panel rows of possibly different widths (right-padded with white)."""
    width = max(r.shape[1] for r in rows)
    padded = []
    for row in rows:
        pad = np.full((row.shape[0], width - row.shape[1], 3), 255, dtype=np.uint8)
        padded += [np.concatenate([row, pad], axis=1),
                   np.full((gap, width, 3), 255, dtype=np.uint8)]
    return np.concatenate(padded[:-1], axis=0)
