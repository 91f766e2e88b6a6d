"""A generated domain-shift miniature: the same kind of scenes in two styles.

Source: the scene's materials painted *flat* (each material its mean colour, mild noise),
like a synthetic rendering. Target: the textured rendering of ``scenes.render_scene``
(stripes, dots, bricks ...) with a colour shift (channel gains and an offset), like real
photographs under another camera. Labels: the 5 classes of ``SCENE_TASK``. Written in the
folder layout of :class:`~mmseg_semivl.datasets.UDAFolderDataset`::

    <root>/classes.txt
    <root>/source/images/*.png, source/labels/*.png
    <root>/target/images/*.png
    <root>/target_val/images/*.png, target_val/labels/*.png
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, Tuple

import cv2
import numpy as np

from ..datasets.synthetic.scenes import (MATERIALS, SCENE_TASK, material_to_class_lut,
                                         render_scene, scene_seed)

#: Target colour shift: per-channel RGB gains and an offset (0-255).
TARGET_GAINS: Tuple[float, float, float] = (0.8, 0.95, 1.2)
TARGET_OFFSET: float = 12.0


def flat_style(materials: np.ndarray, rng: np.random.Generator, noise_std: float = 4.0,
               lighting: float = 0.1) -> np.ndarray:
    """(H, W) material indices -> (H, W, 3) RGB uint8: each material its mean colour."""
    colours = np.array([m.rgb for m in MATERIALS], np.float32)
    image = colours[materials]
    gains = rng.uniform(1 - lighting, 1 + lighting, size=3)
    image = image * gains + rng.normal(0, noise_std, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8)


def target_style(image: np.ndarray, gains=TARGET_GAINS, offset: float = TARGET_OFFSET
                 ) -> np.ndarray:
    """(H, W, 3) RGB textured rendering -> the colour-shifted target image."""
    shifted = image.astype(np.float32) * np.asarray(gains, np.float32) + offset
    return np.clip(shifted, 0, 255).astype(np.uint8)


def _write_scenes(folder: Path, num: int, stream: str, seed: int, size: int, style: str,
                  labels: bool) -> None:
    """Render ``num`` scenes of ``stream`` into ``folder/images`` (and ``folder/labels``).

    ``style``: 'flat' (the source rendering) or 'target' (textured, colour-shifted).
    Existing files are kept (idempotent).
    """
    lut = material_to_class_lut(SCENE_TASK)
    (folder / 'images').mkdir(parents=True, exist_ok=True)
    if labels:
        (folder / 'labels').mkdir(parents=True, exist_ok=True)
    for i in range(num):
        img_path = folder / 'images' / f'{i:05d}.png'
        lab_path = folder / 'labels' / f'{i:05d}.png'
        if img_path.is_file() and (not labels or lab_path.is_file()):
            continue
        rng = scene_seed(seed, i, stream)
        scene = render_scene(rng, size=size)
        image = flat_style(scene.materials, rng) if style == 'flat' else target_style(
            scene.image)
        cv2.imwrite(str(img_path), image[..., ::-1])
        if labels:
            cv2.imwrite(str(lab_path), lut[scene.materials])


def write_uda_scene_task(root: str, num_source: int = 200, num_target: int = 200,
                         num_val: int = 40, size: int = 64, seed: int = 0) -> Dict[str, str]:
    """Write the miniature (idempotent: existing files are kept).

    Source, target and validation scenes are different draws (their own streams).

    Returns:
        dict[str, str]: 'root' and 'classes' (the classes file).
    """
    out = Path(root)
    _write_scenes(out / 'source', num_source, 'train', seed, size, 'flat', labels=True)
    _write_scenes(out / 'target', num_target, 'pretrain', seed, size, 'target', labels=False)
    _write_scenes(out / 'target_val', num_val, 'val', seed, size, 'target', labels=True)
    (out / 'classes.txt').write_text('\n'.join(SCENE_TASK) + '\n')
    return dict(root=str(out), classes='classes.txt')


def write_target_oracle_task(root: str, data_root: str, num: int = 200, size: int = 64,
                             seed: int = 0) -> str:
    """A labeled *target-style* training set for a planted guidance reference.

    ``root/source`` holds ``num`` textured, colour-shifted scenes with labels from their
    own stream ('oracle': different draws from the target, target-val and source scenes);
    ``target``, ``target_val`` and ``classes.txt`` link to ``data_root``'s. A model trained
    on it (source-only on this folder) knows the target domain, which the UDA methods may
    not use; it stands in for a reference model "with knowledge" (docs/uda.md).

    Returns:
        str: ``root``.
    """
    out = Path(root)
    _write_scenes(out / 'source', num, 'oracle', seed, size, 'target', labels=True)
    for name in ('target', 'target_val', 'classes.txt'):
        link = out / name
        if not link.exists():
            link.symlink_to(Path(data_root).resolve() / name)
    return str(out)


__all__ = ['write_uda_scene_task', 'write_target_oracle_task', 'flat_style', 'target_style']
