"""Check a Cityscapes folder and write the ``*_gtFine_labelTrainIds.png`` masks.

Expected layout (from leftImg8bit_trainvaltest.zip and gtFine_trainvaltest.zip of
https://www.cityscapes-dataset.com)::

    <root>/leftImg8bit/{train,val}/<city>/<name>_leftImg8bit.png
    <root>/gtFine/{train,val}/<city>/<name>_gtFine_labelIds.png

For every ``*_gtFine_labelIds.png`` the tool writes ``*_gtFine_labelTrainIds.png`` next to
it with the official id -> trainId table (19 classes, everything else 255), the masks
read by ``CityscapesSplitDataset``. The ``cityscapesscripts`` package is not needed: the
table is part of this file. (UniMatch also distributes the converted gtFine.) In the same
pass it writes the rare-class statistics of the training split (``sample_class_stats.json``,
``sample_class_stats_dict.json``, ``samples_with_class.json`` in the root), which
Cityscapes needs as the source of Cityscapes -> ACDC / Dark Zurich adaptation. Finished
masks are skipped on a re-run; ``--check`` only reports counts, statistics and histograms.

Example::

    python tools/dataset_converters/prepare_cityscapes.py data/cityscapes --nproc 8
"""
from __future__ import annotations

import argparse
import os
from typing import List, Optional, Sequence

import mmseg_semivl  # noqa: F401  (must precede mmseg imports)
from mmseg_semivl.datasets.label_conversion import (check_prepared, convert_labels,  # noqa: E402
                                                    find_files, summarize)
from mmseg_semivl.datasets.uda_base import CITYSCAPES_CLASSES  # noqa: E402
from mmseg_semivl.utils.cli import run_tool  # noqa: E402
import cv2
import numpy as np

#: Official Cityscapes label id -> train id (cityscapesscripts/helpers/labels.py). Ids not
#: listed (0-6 void classes, 9, 10, 14-16, 18, 29, 30) and license plate (-1) map to 255.
LABEL_ID_TO_TRAIN_ID = {
    7: 0, 8: 1, 11: 2, 12: 3, 13: 4, 17: 5, 19: 6, 20: 7, 21: 8, 22: 9, 23: 10, 24: 11,
    25: 12, 26: 13, 27: 14, 28: 15, 31: 16, 32: 17, 33: 18
}
IGNORE_INDEX = 255
LABEL_IDS_SUFFIX = '_gtFine_labelIds.png'
TRAIN_IDS_SUFFIX = '_gtFine_labelTrainIds.png'
DEFAULT_SPLITS = ('train', 'val')
#: Finely annotated images per split.
CITYSCAPES_NUM_IMAGES = dict(train=2975, val=500)


def train_id_lut(ignore_index: int = IGNORE_INDEX) -> np.ndarray:
    """Look-up table (256,) uint8 mapping every label id to its train id."""
    lut = np.full(256, ignore_index, dtype=np.uint8)
    for label_id, train_id in LABEL_ID_TO_TRAIN_ID.items():
        lut[label_id] = train_id
    return lut


def label_ids_to_train_ids(label_ids: np.ndarray) -> np.ndarray:
    """Map a (H, W) uint8 label-id mask to train ids (0..18, 255 = ignore)."""
    return train_id_lut()[label_ids]


def convert_file(label_ids_path: str, overwrite: bool = False) -> str:
    """Write the trainIds mask of one ``*_gtFine_labelIds.png``; returns its path."""
    out = label_ids_path[:-len(LABEL_IDS_SUFFIX)] + TRAIN_IDS_SUFFIX
    if overwrite or not os.path.isfile(out):
        label_ids = cv2.imread(label_ids_path, cv2.IMREAD_UNCHANGED)
        if label_ids is None or label_ids.ndim != 2:
            raise ValueError(f'{label_ids_path} is not a single-channel label-id PNG')
        cv2.imwrite(out, label_ids_to_train_ids(label_ids))
    return out


def check_layout(root: str, splits: Sequence[str] = DEFAULT_SPLITS) -> List[str]:
    """Check the folders and return all ``*_gtFine_labelIds.png`` files of ``splits``.

    Raises:
        FileNotFoundError: Naming every missing folder, or the split without label files.
    """
    if not os.path.isdir(root):
        raise FileNotFoundError(f'Cityscapes root {root} does not exist.')
    missing = [os.path.join(root, top, split) for top in ('leftImg8bit', 'gtFine')
               for split in splits if not os.path.isdir(os.path.join(root, top, split))]
    if missing:
        raise FileNotFoundError(
            'Cityscapes folders missing: ' + ', '.join(missing) + '. Unpack '
            'leftImg8bit_trainvaltest.zip and gtFine_trainvaltest.zip into ' + root + '.')
    files = []
    for split in splits:
        found = []
        for folder, _, names in os.walk(os.path.join(root, 'gtFine', split)):
            found += [os.path.join(folder, n) for n in names if n.endswith(LABEL_IDS_SUFFIX)]
        if not found:
            raise FileNotFoundError(
                f'No *{LABEL_IDS_SUFFIX} in {os.path.join(root, "gtFine", split)}; the '
                'gtFine_trainvaltest.zip download contains them.')
        files += sorted(found)
    return files


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('root', help='Cityscapes root (holds leftImg8bit/ and gtFine/)')
    parser.add_argument('--splits', nargs='+', default=list(DEFAULT_SPLITS),
                        help='splits to convert (train val)')
    parser.add_argument('--overwrite', action='store_true',
                        help='rewrite existing *_labelTrainIds.png files')
    parser.add_argument('--nproc', type=int, default=1, help='worker processes (1)')
    parser.add_argument('--stats-split', default='train',
                        help='split whose rare-class statistics are written (train)')
    parser.add_argument('--stats-dir', default=None,
                        help='where the statistics go (default: the root)')
    parser.add_argument('--no-stats', action='store_true',
                        help='do not write the rare-class statistics')
    parser.add_argument('--check', action='store_true',
                        help='only check: counts, statistics against the labels, histograms')
    parser.add_argument('--num-histograms', type=int, default=3,
                        help='label files whose class shares --check prints (3)')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    files = check_layout(args.root, args.splits)
    stats_dir = None if args.no_stats else (args.stats_dir or args.root)
    for split in args.splits:
        split_dir = os.path.join(args.root, 'gtFine', split) + os.sep
        split_files = [f for f in files if f.startswith(split_dir)]
        pairs = [(f, f[:-len(LABEL_IDS_SUFFIX)] + TRAIN_IDS_SUFFIX) for f in split_files]
        split_stats = stats_dir if split == args.stats_split else None
        if args.check:
            done = sorted(dst for _, dst in pairs if os.path.isfile(dst))
            print('\n'.join(check_prepared(
                f'Cityscapes {split}', args.root,
                (os.path.join(args.root, 'leftImg8bit', split),
                 len(find_files(os.path.join(args.root, 'leftImg8bit', split),
                                '_leftImg8bit.png')), CITYSCAPES_NUM_IMAGES.get(split)),
                done, len(pairs), CITYSCAPES_CLASSES, split_stats, args.num_histograms)))
            continue
        # One pass: write the masks (skipping finished ones) and collect the statistics.
        results = convert_labels(pairs, args.root, LABEL_ID_TO_TRAIN_ID, 'index', args.nproc,
                                 args.overwrite, split_stats)
        print(summarize(f'Cityscapes {split}', results, split_stats))
    if not args.check:
        print(f'{len(files)} *{TRAIN_IDS_SUFFIX} masks ready under {args.root}/gtFine')
    return 0


if __name__ == '__main__':
    run_tool(main)
