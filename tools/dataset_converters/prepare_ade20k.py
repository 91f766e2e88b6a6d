"""Check an ADE20K (ADEChallengeData2016) folder against the shipped split lists.

Expected layout (unzipped ADEChallengeData2016.zip of the MIT Scene Parsing benchmark,
http://sceneparsing.csail.mit.edu)::

    <root>/images/training/ADE_train_*.jpg        (20,210)
    <root>/images/validation/ADE_val_*.jpg        (2,000)
    <root>/annotations/training/ADE_train_*.png   (0 = other, 1..150 = classes)
    <root>/annotations/validation/ADE_val_*.png

No conversion is needed (``ADE20KSplitDataset`` reduces label 0 to ignore on loading).
The tool reports every missing folder, the images without annotation and the files of
the shipped ``ade/val.txt`` and labeled lists that are missing.

Example::

    python tools/dataset_converters/prepare_ade20k.py data/ADEChallengeData2016
"""
from __future__ import annotations

import argparse
import os
from typing import Dict, Optional, Sequence

import mmseg_semivl  # noqa: F401  (must precede mmseg imports)
from mmseg_semivl.utils.cli import run_tool  # noqa: E402
from mmseg_semivl.datasets.split_files import available_splits, get_split_file
from mmseg_semivl.datasets.split_io import read_split_list, scan_image_label_pairs

SUBSETS = ('training', 'validation')


def check_ade20k(root: str, lists: Optional[Sequence[str]] = None,
                 max_reported: int = 5) -> Dict[str, int]:
    """Check the layout and the split lists.

    Args:
        root: ADEChallengeData2016 folder.
        lists: Split lists whose files must exist; None (default) = the shipped
            ``ade/val.txt`` and labeled lists.
        max_reported: Missing files named per problem.

    Returns:
        dict[str, int]: Number of image/annotation pairs per subset.

    Raises:
        FileNotFoundError: Naming the missing folders or files.
    """
    if not os.path.isdir(root):
        raise FileNotFoundError(f'ADE20K root {root} does not exist.')
    missing_dirs = [os.path.join(root, top, subset) for top in ('images', 'annotations')
                    for subset in SUBSETS if not os.path.isdir(os.path.join(root, top, subset))]
    if missing_dirs:
        raise FileNotFoundError('ADE20K folders missing: ' + ', '.join(missing_dirs) +
                                '. Unzip ADEChallengeData2016.zip so that ' + root +
                                ' holds images/ and annotations/.')
    counts, problems = {}, []
    for subset in SUBSETS:
        entries = scan_image_label_pairs(root, f'images/{subset}', '.jpg',
                                         f'annotations/{subset}', '.png')
        unpaired = [e.img_path for e in entries if e.seg_map_path is None]
        if unpaired:
            problems.append(f'{len(unpaired)} {subset} image(s) without annotation, e.g. ' +
                            ', '.join(unpaired[:max_reported]))
        counts[subset] = len(entries) - len(unpaired)
    if lists is None:
        lists = [get_split_file('ade', kind='val')] + [
            get_split_file('ade', split) for split in available_splits()['ade']]
    for list_file in lists:
        entries = read_split_list(list_file)
        missing = [[p for p in (e.img_path, e.seg_map_path)
                    if p and not os.path.isfile(os.path.join(root, p))] for e in entries]
        missing = [paths for paths in missing if paths]
        if missing:
            problems.append(f'{len(missing)} of the {len(entries)} samples of {list_file} '
                            'have missing files, e.g. ' +
                            ', '.join(p for paths in missing[:max_reported] for p in paths))
    if problems:
        raise FileNotFoundError(f'ADE20K at {root} is incomplete:\n  ' + '\n  '.join(problems))
    return counts


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('root', help='ADEChallengeData2016 folder')
    parser.add_argument('--lists', nargs='*', help='split lists to check instead of the '
                        'shipped ade lists (none: only the folders)')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    counts = check_ade20k(args.root, args.lists)
    print(f'ADE20K at {args.root} is complete: {counts["training"]} training and '
          f'{counts["validation"]} validation pairs; every file of the checked lists exists.')
    return 0


if __name__ == '__main__':
    run_tool(main)
