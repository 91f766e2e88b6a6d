"""Miniature UDA datasets in each release's real folder layout and file naming.

Imported by the tests of this folder (pytest puts it on sys.path). Images are tiny random
pictures; labels are the arrays the tests pass, so every expected value is known.
"""
import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Dict, List, Sequence

import cv2
import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[3]
TOOLS = REPO / 'tools'
CONFIGS = REPO / 'configs'
HW = (32, 48)


def load_tool(relative_path: str) -> ModuleType:
    """Import a script of tools/ (not a package) as a module."""
    path = TOOLS / relative_path
    spec = importlib.util.spec_from_file_location(f'uda_tool_{path.stem}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_image(path: Path, hw=HW, seed: int = 0) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = np.random.default_rng(seed).integers(0, 256, (*hw, 3), dtype=np.uint8)
    assert cv2.imwrite(str(path), image)


def write_gray(path: Path, label: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), label.astype(np.uint8))


def write_palette(path: Path, label: np.ndarray) -> None:
    """A palette ('P') PNG whose indices are ``label`` (how GTA5 / Mapillary ship labels)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    img = Image.fromarray(label.astype(np.uint8), mode='P')
    rng = np.random.default_rng(1)
    img.putpalette(rng.integers(0, 256, 768, dtype=np.uint8).tolist())
    img.save(str(path))


def write_synthia_label(path: Path, class_ids: np.ndarray) -> None:
    """SYNTHIA's 16-bit label PNG: class id in the file's first (R) channel, an instance id
    in the second, zeros in the third (OpenCV writes BGR, so R is the last array channel)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    bgr = np.zeros((*class_ids.shape, 3), dtype=np.uint16)
    bgr[..., 2] = class_ids
    bgr[..., 1] = 1000 + np.arange(class_ids.size).reshape(class_ids.shape)  # instance ids
    assert cv2.imwrite(str(path), bgr)


def tile(values: Sequence[int], hw=HW) -> np.ndarray:
    """An (H, W) label made of horizontal bands of ``values`` (H divisible by len)."""
    rows = np.repeat(np.asarray(values), hw[0] // len(values))
    return np.repeat(rows[:, None], hw[1], axis=1)


def make_gta(root: Path, raw_labels: List[np.ndarray]) -> List[str]:
    """``images/00001.png``, ``labels/00001.png`` (palette PNG, Cityscapes ids)."""
    names = []
    for i, label in enumerate(raw_labels, start=1):
        name = f'{i:05d}'
        write_image(root / 'images' / f'{name}.png', label.shape, seed=i)
        write_palette(root / 'labels' / f'{name}.png', label)
        names.append(name)
    return names


def make_synthia(root: Path, raw_labels: List[np.ndarray]) -> List[str]:
    """``RGB/0000000.png``, ``GT/LABELS/0000000.png`` (16-bit)."""
    names = []
    for i, label in enumerate(raw_labels):
        name = f'{i:07d}'
        write_image(root / 'RGB' / f'{name}.png', label.shape, seed=i)
        write_synthia_label(root / 'GT' / 'LABELS' / f'{name}.png', label)
        names.append(name)
    return names


def make_acdc(root: Path, labels: Dict[str, Dict[str, List[np.ndarray]]],
              raw: bool = False) -> List[str]:
    """``rgb_anon/<cond>/<split>/GOPR0475/GOPR0475_frame_<n>_rgb_anon.png`` and
    ``gt/.../*_gt_labelTrainIds.png`` (or ``*_gt_labelIds.png`` with ``raw``)."""
    names = []
    for condition, splits in labels.items():
        for split, arrays in splits.items():
            for i, label in enumerate(arrays):
                stem = f'GOPR0475_frame_{i:06d}'
                write_image(root / 'rgb_anon' / condition / split / 'GOPR0475' /
                            f'{stem}_rgb_anon.png', label.shape, seed=i)
                suffix = '_gt_labelIds.png' if raw else '_gt_labelTrainIds.png'
                write_gray(root / 'gt' / condition / split / 'GOPR0475' / f'{stem}{suffix}',
                           label)
                names.append(f'{condition}/{split}/GOPR0475/{stem}')
    return names


#: Mapillary image keys look like this (22 URL-safe characters).
MAPILLARY_KEYS = ['-0jQs2Ot6m4ztbBlyqpgqA', '_1Gn_xkw7sa_i9GU4mkxxQ', 'zoXEtxK2l3oyRvLhc5Dg7A']


def make_mapillary(root: Path, split: str, raw_labels: List[np.ndarray],
                   label_dir: str = 'labels') -> List[str]:
    """``<split>/images/<key>.jpg``, ``<split>/<label_dir>/<key>.png`` (v1.2 index PNG)."""
    for key, label in zip(MAPILLARY_KEYS, raw_labels):
        write_image(root / split / 'images' / f'{key}.jpg', label.shape)
        write_palette(root / split / label_dir / f'{key}.png', label)
    return MAPILLARY_KEYS[:len(raw_labels)]


def make_cityscapes(root: Path, split: str, train_ids: List[np.ndarray],
                    label_ids: bool = False) -> List[str]:
    """``leftImg8bit/<split>/aachen/aachen_<n>_000019_leftImg8bit.png`` and the gtFine
    ``*_labelTrainIds.png`` (or ``*_labelIds.png`` with ``label_ids``)."""
    names = []
    for i, label in enumerate(train_ids):
        stem = f'aachen_{i:06d}_000019'
        write_image(root / 'leftImg8bit' / split / 'aachen' / f'{stem}_leftImg8bit.png',
                    label.shape, seed=i)
        suffix = '_gtFine_labelIds.png' if label_ids else '_gtFine_labelTrainIds.png'
        write_gray(root / 'gtFine' / split / 'aachen' / f'{stem}{suffix}', label)
        names.append(f'aachen/{stem}')
    return names


def make_darkzurich_val(root: Path, train_ids: List[np.ndarray]) -> None:
    """``rgb_anon/val/night/GOPR0356/GOPR0356_frame_<n>_rgb_anon.png`` + gt trainIds."""
    for i, label in enumerate(train_ids):
        stem = f'GOPR0356_frame_{i:06d}'
        write_image(root / 'rgb_anon/val/night/GOPR0356' / f'{stem}_rgb_anon.png', label.shape)
        write_gray(root / 'gt/val/night/GOPR0356' / f'{stem}_gt_labelTrainIds.png', label)


def make_darkzurich_train(root: Path, num: int = 2) -> None:
    """``rgb_anon/train/night/GOPR0348/GOPR0348_frame_<n>_rgb_anon.png`` (no labels)."""
    for i in range(num):
        write_image(root / 'rgb_anon/train/night/GOPR0348' /
                    f'GOPR0348_frame_{i:06d}_rgb_anon.png')


def make_bdd100k_val(root: Path, train_ids: List[np.ndarray]) -> None:
    """``images/10k/val/<name>.jpg``, ``labels/sem_seg/masks/val/<name>.png``."""
    for i, label in enumerate(train_ids):
        name = f'7d2f7975-e0c1c5a{i}'
        write_image(root / 'images/10k/val' / f'{name}.jpg', label.shape)
        write_gray(root / 'labels/sem_seg/masks/val' / f'{name}.png', label)
