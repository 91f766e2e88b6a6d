"""Check or build the PASCAL VOC 2012 "aug" folder used by the shipped pascal lists.

The shipped lists (``pascal/train_aug.txt``, ``pascal/val.txt``, labeled subsets) expect::

    <root>/JPEGImages/<id>.jpg
    <root>/SegmentationClass/<id>.png   # SegmentationClassAug: 10,582 train_aug + 1,449 val

i.e. VOC's ``SegmentationClass`` folder *replaced by the augmented masks*: VOC 2012 itself
annotates only 2,913 images; the other training masks come from the Semantic Boundaries
Dataset (SBD, Hariharan et al. 2011, ``benchmark.tgz``, folder
``benchmark_RELEASE/dataset/cls/*.mat``). Masks hold 0 = background, 1..20 = classes,
255 = ignore (object borders in VOC's own masks).

Two ways to get there:

1. Download UniMatch's preprocessed ``SegmentationClass.zip`` (link in the UniMatch README)
   and unpack it in place of VOC's ``SegmentationClass``; then run this tool on the root to
   check it.
2. Convert SBD here: ``--sbd-root benchmark_RELEASE/dataset --out-root data/pascal`` writes
   ``data/pascal/SegmentationClass`` (VOC's own mask where one exists, as those are finer
   and the labeled subsets come from VOC's training set; else the SBD mask) and links
   ``data/pascal/JPEGImages`` to VOC's images. Needs scipy (``pip install scipy``).

Without ``--sbd-root`` the tool only checks ``voc_root`` and names what is missing.

Examples::

    python tools/dataset_converters/prepare_voc.py data/VOCdevkit/VOC2012
    python tools/dataset_converters/prepare_voc.py data/VOCdevkit/VOC2012 \\
        --sbd-root data/benchmark_RELEASE/dataset --out-root data/pascal
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import List, Optional, Sequence

import mmseg_semivl  # noqa: F401  (must precede mmseg imports)
from mmseg_semivl.utils.cli import run_tool  # noqa: E402
import cv2
import numpy as np
from PIL import Image

from mmseg_semivl.datasets.split_files import get_split_file
from mmseg_semivl.datasets.split_io import read_split_list

IMG_DIR = 'JPEGImages'
MASK_DIR = 'SegmentationClass'
SBD_CLS_DIR = 'cls'
SBD_HINT = ('the other masks come from SBD: download benchmark.tgz (Semantic Boundaries '
            'Dataset, Hariharan et al.) and run this tool with --sbd-root '
            'benchmark_RELEASE/dataset --out-root <new folder>, or unpack UniMatch\'s '
            'preprocessed SegmentationClass.zip in place of SegmentationClass')


def default_lists() -> List[str]:
    """The shipped lists whose files make up the VOC aug folder (train_aug and val)."""
    return [str(get_split_file('pascal', kind='train_aug')),
            str(get_split_file('pascal', kind='val'))]


def check_voc_root(root: str, lists: Optional[Sequence[str]] = None,
                   max_reported: int = 5) -> int:
    """Check that every file of ``lists`` exists under ``root``.

    Args:
        root: Dataset root for the pascal lists.
        lists: Split lists to check; None = train_aug.txt and val.txt.
        max_reported: Missing files named per list.

    Returns:
        int: Number of samples checked.

    Raises:
        FileNotFoundError: Naming the missing folders, or per list the number and first
            missing files, with where the masks come from.
    """
    missing_dirs = [os.path.join(root, d) for d in (IMG_DIR, MASK_DIR)
                    if not os.path.isdir(os.path.join(root, d))]
    if missing_dirs:
        raise FileNotFoundError(f'VOC folders missing: {", ".join(missing_dirs)}. Point to '
                                'VOCdevkit/VOC2012 (from VOCtrainval_11-May-2012.tar).')
    problems, total = [], 0
    for list_file in lists if lists is not None else default_lists():
        entries = read_split_list(list_file)
        total += len(entries)
        for kind, paths in (('images', [e.img_path for e in entries]),
                            ('masks', [e.seg_map_path for e in entries if e.seg_map_path])):
            missing = [p for p in paths if not os.path.isfile(os.path.join(root, p))]
            if missing:
                problems.append(f'{len(missing)} of {len(paths)} {kind} of {list_file}, '
                                f'e.g. {", ".join(missing[:max_reported])}')
    if problems:
        hint = f'\nVOC 2012 annotates only 2,913 images; {SBD_HINT}.' if any(
            ' masks ' in p for p in problems) else ''
        raise FileNotFoundError(f'Missing under {root}:\n  ' + '\n  '.join(problems) + hint)
    return total


def read_voc_mask(path: str) -> np.ndarray:
    """Class indices (H, W) uint8 of a VOC ``SegmentationClass`` PNG (palette image)."""
    with Image.open(path) as image:
        if image.mode not in ('P', 'L'):
            raise ValueError(f'{path}: expected a palette or grey PNG of class indices, '
                             f'got mode {image.mode}')
        return np.array(image, dtype=np.uint8)


def read_sbd_mask(path: str) -> np.ndarray:
    """Class indices (H, W) uint8 of an SBD ``cls/<id>.mat`` file."""
    try:
        from scipy.io import loadmat
    except ImportError as error:
        raise ImportError('Reading SBD .mat files needs scipy: pip install scipy') from error
    return loadmat(path)['GTcls'][0]['Segmentation'][0].astype(np.uint8)


def build_aug_masks(voc_root: str, sbd_root: str, out_root: str,
                    lists: Optional[Sequence[str]] = None) -> dict:
    """Write ``out_root/SegmentationClass`` from VOC's and SBD's masks, link the images.

    Returns:
        dict: Number of masks taken from ``'voc'`` and from ``'sbd'``.

    Raises:
        FileNotFoundError: For missing input folders or masks found in neither source.
        ValueError: If ``out_root`` is ``voc_root`` (VOC's own masks would be replaced).
    """
    if Path(out_root).resolve() == Path(voc_root).resolve():
        raise ValueError('--out-root must differ from voc_root: its SegmentationClass '
                         'would be overwritten by the augmented masks')
    for folder in (os.path.join(voc_root, IMG_DIR), os.path.join(voc_root, MASK_DIR),
                   os.path.join(sbd_root, SBD_CLS_DIR)):
        if not os.path.isdir(folder):
            raise FileNotFoundError(f'{folder} does not exist (voc_root = VOCdevkit/VOC2012, '
                                    '--sbd-root = benchmark_RELEASE/dataset)')
    masks = sorted({Path(e.seg_map_path).stem
                    for list_file in (lists if lists is not None else default_lists())
                    for e in read_split_list(list_file) if e.seg_map_path})
    out_masks = os.path.join(out_root, MASK_DIR)
    os.makedirs(out_masks, exist_ok=True)
    counts, unresolved = {'voc': 0, 'sbd': 0}, []
    for mask_id in masks:
        voc_mask = os.path.join(voc_root, MASK_DIR, f'{mask_id}.png')
        sbd_mask = os.path.join(sbd_root, SBD_CLS_DIR, f'{mask_id}.mat')
        if os.path.isfile(voc_mask):
            mask, source = read_voc_mask(voc_mask), 'voc'
        elif os.path.isfile(sbd_mask):
            mask, source = read_sbd_mask(sbd_mask), 'sbd'
        else:
            unresolved.append(mask_id)
            continue
        cv2.imwrite(os.path.join(out_masks, f'{mask_id}.png'), mask)
        counts[source] += 1
    if unresolved:
        raise FileNotFoundError(f'{len(unresolved)} mask(s) found neither in '
                                f'{voc_root}/{MASK_DIR} nor in {sbd_root}/{SBD_CLS_DIR}, '
                                f'e.g. {", ".join(unresolved[:5])}')
    link = os.path.join(out_root, IMG_DIR)
    if not os.path.exists(link):
        os.symlink(os.path.abspath(os.path.join(voc_root, IMG_DIR)), link)
    return counts


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('voc_root', help='VOCdevkit/VOC2012 (or a ready aug folder to check)')
    parser.add_argument('--sbd-root', help='benchmark_RELEASE/dataset of SBD: convert')
    parser.add_argument('--out-root', help='with --sbd-root: new dataset root to write')
    parser.add_argument('--lists', nargs='+', help='split lists defining the masks needed '
                        '(default: the shipped pascal train_aug.txt and val.txt)')
    args = parser.parse_args(argv)
    if (args.sbd_root is None) != (args.out_root is None):
        parser.error('--sbd-root and --out-root go together')
    return args


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    root = args.voc_root
    if args.sbd_root is not None:
        counts = build_aug_masks(args.voc_root, args.sbd_root, args.out_root, args.lists)
        print(f'wrote {counts["voc"]} VOC and {counts["sbd"]} SBD masks to '
              f'{os.path.join(args.out_root, MASK_DIR)}')
        root = args.out_root
    total = check_voc_root(root, args.lists)
    print(f'{root} is complete for {total} listed samples; use it as data_root.')
    return 0


if __name__ == '__main__':
    run_tool(main)
