"""Check ACDC, complete its ``*_gt_labelTrainIds.png`` masks, write rare-class statistics.

Download ``rgb_anon_trainvaltest.zip`` and ``gt_trainval.zip`` from
https://acdc.vision.ee.ethz.ch and unpack both into the root::

    <root>/rgb_anon/{fog,night,rain,snow}/{train,val,test}/<seq>/<name>_rgb_anon.png
    <root>/gt/{fog,night,rain,snow}/{train,val}/<seq>/<name>_gt_labelTrainIds.png

The release ships the trainId masks; where only ``*_gt_labelIds.png`` exist they are
converted with the Cityscapes table. The rare-class statistics of the chosen split and
conditions go to the stats folder (default: the root), with paths relative to the root,
matching ``ACDCDataset(split=..., conditions=...)``. The folders are read in place:
nothing has to be merged.

Examples::

    python tools/dataset_converters/prepare_acdc.py data/acdc --nproc 8
    python tools/dataset_converters/prepare_acdc.py data/acdc --split val --check
"""
from __future__ import annotations

import argparse
from typing import Optional, Sequence

import mmseg_semivl  # noqa: F401  (must precede mmseg imports)
from mmseg_semivl.datasets.acdc import ACDC_CONDITIONS, ACDC_NUM_IMAGES  # noqa: E402
from mmseg_semivl.datasets.gta import GTA_ID_TO_TRAIN_ID  # noqa: E402  (= Cityscapes table)
from mmseg_semivl.datasets.label_conversion import (LabelGroup, add_converter_args,  # noqa: E402
                                                    run_converter)
from mmseg_semivl.datasets.uda_base import CITYSCAPES_CLASSES  # noqa: E402
from mmseg_semivl.utils.cli import run_tool  # noqa: E402

HINT = ('Download rgb_anon_trainvaltest.zip and gt_trainval.zip from '
        'https://acdc.vision.ee.ethz.ch and unpack both into the root.')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('root', help='ACDC root (holds rgb_anon/ and gt/)')
    parser.add_argument('--split', default='train', choices=('train', 'val'),
                        help='split to process (train)')
    parser.add_argument('--conditions', nargs='+', default=list(ACDC_CONDITIONS),
                        choices=ACDC_CONDITIONS, help='conditions (all four)')
    add_converter_args(parser)
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    groups = [LabelGroup(f'rgb_anon/{c}/{args.split}', f'gt/{c}/{args.split}',
                         ACDC_NUM_IMAGES[c][args.split]) for c in args.conditions]
    return run_converter(
        args, dataset='ACDC', root=args.root, groups=groups, img_suffix='_rgb_anon.png',
        raw_suffix='_gt_labelIds.png', train_suffix='_gt_labelTrainIds.png',
        mapping=GTA_ID_TO_TRAIN_ID, reader='index', hint=HINT,
        class_names=CITYSCAPES_CLASSES,
        stats_dir=None if args.no_stats else (args.stats_dir or args.root))


if __name__ == '__main__':
    run_tool(main)
