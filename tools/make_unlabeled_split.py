"""Write the unlabeled list of a benchmark split: all training images not in its labeled list.

How the training images of each dataset are found (paths relative to the dataset root,
in the line format of the shipped lists):

* pascal: the shipped ``pascal/train_aug.txt`` (10,582 images, SBD-augmented training
  set); unlabeled = train_aug minus labeled, as in UniMatch. The images it names are
  checked to exist under the root (``--no-check`` skips this).
* cityscapes: ``leftImg8bit/train/<city>/*_leftImg8bit.png`` (2,975), each paired with
  ``gtFine/train/<city>/*_gtFine_labelTrainIds.png``.
* coco: ``train2017/*.jpg`` (118,287), each paired with ``masks/<id>.png``.
* ade: ``images/training/*.jpg`` (20,210), each paired with ``annotations/training/<id>.png``.

A label path is written when the label file exists (UniMatch's unlabeled lists carry
them too; they are not used for training but allow evaluating pseudo-labels), otherwise
the line holds only the image path. Output is sorted by image path, hence deterministic.

Example::

    python tools/make_unlabeled_split.py pascal data/VOC2012 --split 92
    # -> data/VOC2012/splits/pascal/92/unlabeled.txt; in a config:
    # ann_file='splits/pascal/92/unlabeled.txt' (relative to data_root)
"""
from __future__ import annotations

import argparse
import os
from typing import Dict, List, NamedTuple, Optional, Sequence

import mmseg_semivl  # noqa: F401  (must precede mmseg imports)
from mmseg_semivl.utils.cli import run_tool  # noqa: E402
from mmseg_semivl.datasets.split_files import available_splits, get_split_file
from mmseg_semivl.datasets.split_io import (SplitEntry, read_split_list,
                                            scan_image_label_pairs, write_split_list)


class TrainFolder(NamedTuple):
    """Where a dataset keeps its training images and labels (relative to its root)."""
    img_dir: str
    img_suffix: str
    ann_dir: str
    seg_map_suffix: str


#: Training folders of the datasets whose training set is a folder rather than a list.
TRAIN_FOLDERS: Dict[str, TrainFolder] = {
    'cityscapes': TrainFolder('leftImg8bit/train', '_leftImg8bit.png', 'gtFine/train',
                              '_gtFine_labelTrainIds.png'),
    'coco': TrainFolder('train2017', '.jpg', 'masks', '.png'),
    'ade': TrainFolder('images/training', '.jpg', 'annotations/training', '.png'),
}
#: Datasets whose training set is a shipped list: dataset -> kind of that list.
TRAIN_LISTS: Dict[str, str] = {'pascal': 'train_aug'}


def training_entries(dataset: str, data_root: str, check: bool = True) -> List[SplitEntry]:
    """All training samples of a benchmark dataset (see the module docstring).

    Args:
        dataset: 'pascal', 'cityscapes', 'coco' or 'ade'.
        data_root: Dataset root folder.
        check: For list-based datasets, check that the listed images exist.

    Returns:
        list[SplitEntry]: Sorted by image path.
    """
    if dataset in TRAIN_LISTS:
        entries = read_split_list(get_split_file(dataset, kind=TRAIN_LISTS[dataset]))
        if check:
            missing = [e for e in entries
                       if not os.path.isfile(os.path.join(data_root, e.img_path))]
            if missing:
                raise FileNotFoundError(
                    f'{len(missing)} of the {len(entries)} {dataset} training images are '
                    f'missing under {data_root}, e.g. '
                    f'{", ".join(e.img_path for e in missing[:3])}. Check the dataset root '
                    '(or pass --no-check).')
        return sorted(entries, key=lambda e: e.img_path)
    if dataset in TRAIN_FOLDERS:
        folder = TRAIN_FOLDERS[dataset]
        entries = scan_image_label_pairs(data_root, folder.img_dir, folder.img_suffix,
                                         folder.ann_dir, folder.seg_map_suffix)
        if not entries:
            raise FileNotFoundError(f'No {dataset} training image (*{folder.img_suffix}) in '
                                    f'{os.path.join(data_root, folder.img_dir)}.')
        return entries
    known = sorted({**TRAIN_FOLDERS, **TRAIN_LISTS})
    raise ValueError(f'Unknown dataset {dataset!r}; known: {", ".join(known)}. For your own '
                     'dataset use tools/make_splits.py.')


def unlabeled_complement(training: Sequence[SplitEntry],
                         labeled: Sequence[SplitEntry],
                         labeled_source: str = 'labeled list') -> List[SplitEntry]:
    """Training samples whose image is not in the labeled list, sorted by image path.

    Args:
        training: All training samples.
        labeled: The labeled subset.
        labeled_source: Name of the labeled list for error messages.

    Raises:
        ValueError: If labeled images are not among the training images (wrong root or
            list), since the complement would then silently be wrong.
    """
    training_images = {e.img_path for e in training}
    stray = [e for e in labeled if e.img_path not in training_images]
    if stray:
        raise ValueError(
            f'{len(stray)} image(s) of {labeled_source} are not training images of this '
            f'dataset folder, e.g. line {stray[0].line_no}: {stray[0].img_path}. Wrong '
            'dataset root or labeled list?')
    labeled_images = {e.img_path for e in labeled}
    return sorted((e for e in training if e.img_path not in labeled_images),
                  key=lambda e: e.img_path)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('dataset', choices=sorted({**TRAIN_FOLDERS, **TRAIN_LISTS}),
                        help='benchmark dataset (folder name in mmseg_semivl/splits)')
    parser.add_argument('data_root', help='dataset root folder')
    parser.add_argument('--split', help='shipped labeled subset, e.g. 92 or 1_16 (shipped: ' +
                        '; '.join(f'{d}: {", ".join(s)}' for d, s in available_splits().items()) +
                        ')')
    parser.add_argument('--labeled', help='labeled list to complement instead of a shipped '
                        'one (paths relative to data_root)')
    parser.add_argument('--out', help='output file (default: '
                        '<data_root>/splits/<dataset>/<split>/unlabeled.txt)')
    parser.add_argument('--no-check', action='store_true',
                        help='pascal: do not check that the listed training images exist')
    args = parser.parse_args(argv)
    if (args.split is None) == (args.labeled is None):
        parser.error('give exactly one of --split and --labeled')
    if args.labeled is not None and args.out is None:
        parser.error('--labeled needs --out')
    return args


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    labeled_file = args.labeled or str(get_split_file(args.dataset, args.split, 'labeled'))
    out = args.out or os.path.join(args.data_root, 'splits', args.dataset, args.split,
                                   'unlabeled.txt')
    training = training_entries(args.dataset, args.data_root, check=not args.no_check)
    labeled = read_split_list(labeled_file)
    unlabeled = unlabeled_complement(training, labeled, labeled_source=labeled_file)
    write_split_list(out, unlabeled)
    print(f'{args.dataset}: {len(training)} training images, {len(labeled)} labeled '
          f'({labeled_file}) -> {len(unlabeled)} unlabeled written to {out}')
    return 0


if __name__ == '__main__':
    run_tool(main)
