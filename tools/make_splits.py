"""Seeded random labeled / unlabeled split of your own dataset.

The samples come either from a folder pair (``--img-dir`` / ``--ann-dir`` with file name
endings, MMSeg convention: ``img_dir/x<img-suffix>`` <-> ``ann_dir/x<seg-map-suffix>``)
or from an existing full list (``--full-list``, lines ``<image> [<label>]``). Only
samples with a label can be drawn as labeled; samples without one always go to the
unlabeled list. The same seed and inputs always give the same split.

Writes ``<out-dir>/labeled.txt`` and ``<out-dir>/unlabeled.txt`` (paths relative to
``--data-root``, sorted), ready for ``SplitListDataset(ann_file=...)``.

Examples::

    python tools/make_splits.py --data-root data/mine --img-dir images --ann-dir labels \\
        --num-labeled 100 --seed 0 --out-dir data/mine/splits/100
    python tools/make_splits.py --data-root data/mine --full-list data/mine/train.txt \\
        --labeled-fraction 0.125 --out-dir data/mine/splits/1_8
"""
from __future__ import annotations

import argparse
import os
import random
from collections import Counter
from typing import List, Optional, Sequence, Tuple

import mmseg_semivl  # noqa: F401  (must precede mmseg imports)
from mmseg_semivl.utils.cli import run_tool  # noqa: E402
from mmseg_semivl.datasets.split_io import (SplitEntry, read_split_list,
                                            scan_image_label_pairs, write_split_list)


def labeled_count(num_candidates: int, num_labeled: Optional[int] = None,
                  fraction: Optional[float] = None) -> int:
    """Number of labeled samples from a count or a fraction of the labeled candidates.

    A fraction is rounded to the nearest integer (at least 1), as SemiVL's ADE20K splits.

    Raises:
        ValueError: If the request is impossible.
    """
    if (num_labeled is None) == (fraction is None):
        raise ValueError('give exactly one of num_labeled and fraction')
    if fraction is not None:
        if not 0 < fraction <= 1:
            raise ValueError(f'labeled fraction must be in (0, 1], got {fraction}')
        num_labeled = max(1, round(fraction * num_candidates))
    if not 0 < num_labeled <= num_candidates:
        raise ValueError(f'cannot draw {num_labeled} labeled samples: {num_candidates} '
                         'samples have a label')
    return num_labeled


def random_split(entries: Sequence[SplitEntry], num_labeled: int,
                 seed: int = 0) -> Tuple[List[SplitEntry], List[SplitEntry]]:
    """Draw ``num_labeled`` labeled samples uniformly at random among those with a label.

    Args:
        entries: All samples (order does not matter: they are sorted first, so the result
            depends only on the set of samples and the seed).
        num_labeled: Size of the labeled subset.
        seed: Seed of the private random generator.

    Returns:
        tuple[list[SplitEntry], list[SplitEntry]]: (labeled, unlabeled), each sorted by
        image path; disjoint, and together all of ``entries``.
    """
    counts = Counter(e.img_path for e in entries)
    duplicates = [path for path, count in counts.items() if count > 1]
    if duplicates:
        raise ValueError(f'image {duplicates[0]} is listed more than once')
    ordered = sorted(entries, key=lambda e: e.img_path)
    candidates = [e for e in ordered if e.seg_map_path is not None]
    chosen = set(e.img_path for e in random.Random(seed).sample(candidates, num_labeled))
    labeled = [e for e in ordered if e.img_path in chosen]
    unlabeled = [e for e in ordered if e.img_path not in chosen]
    return labeled, unlabeled


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--data-root', required=True, help='dataset root folder')
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument('--img-dir', help='image folder, relative to --data-root')
    source.add_argument('--full-list', help='existing list of all training samples')
    parser.add_argument('--ann-dir', help='label folder, relative to --data-root')
    parser.add_argument('--img-suffix', default='.jpg', help='image file ending (.jpg)')
    parser.add_argument('--seg-map-suffix', default='.png', help='label file ending (.png)')
    size = parser.add_mutually_exclusive_group(required=True)
    size.add_argument('--num-labeled', type=int, help='number of labeled samples')
    size.add_argument('--labeled-fraction', type=float,
                      help='fraction of the samples with label, e.g. 0.125')
    parser.add_argument('--seed', type=int, default=0, help='random seed (0)')
    parser.add_argument('--out-dir', required=True,
                        help='writes labeled.txt and unlabeled.txt here')
    args = parser.parse_args(argv)
    if args.img_dir is not None and args.ann_dir is None:
        parser.error('--img-dir needs --ann-dir (the labels of the images)')
    return args


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    if args.full_list is not None:
        entries = read_split_list(args.full_list)
        source = args.full_list
    else:
        entries = scan_image_label_pairs(args.data_root, args.img_dir, args.img_suffix,
                                         args.ann_dir, args.seg_map_suffix)
        source = os.path.join(args.data_root, args.img_dir)
    if not entries:
        raise ValueError(f'no sample found in {source}')
    num_with_label = sum(e.seg_map_path is not None for e in entries)
    num_labeled = labeled_count(num_with_label, args.num_labeled, args.labeled_fraction)
    labeled, unlabeled = random_split(entries, num_labeled, args.seed)
    write_split_list(os.path.join(args.out_dir, 'labeled.txt'), labeled)
    write_split_list(os.path.join(args.out_dir, 'unlabeled.txt'), unlabeled)
    print(f'{len(entries)} samples from {source} ({num_with_label} with label), seed '
          f'{args.seed}: {len(labeled)} labeled, {len(unlabeled)} unlabeled -> {args.out_dir}')
    return 0


if __name__ == '__main__':
    run_tool(main)
