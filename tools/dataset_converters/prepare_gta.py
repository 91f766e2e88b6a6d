"""Write GTA5's ``*_labelTrainIds.png`` masks and its rare-class statistics.

Download the 10 image parts and the 10 label parts of "Playing for Data" (GTA5, 24,966
frames, https://download.visinf.tu-darmstadt.de/data/from_games/) and unpack them to::

    <root>/images/00001.png ... 24966.png
    <root>/labels/00001.png ... 24966.png      # palette PNGs, Cityscapes label ids

The tool maps every label to the 19 Cityscapes train ids (all other ids -> 255), writes
``labels/<id>_labelTrainIds.png`` (read by ``GTADataset``) and, in the same pass,
``sample_class_stats.json``, ``sample_class_stats_dict.json`` and
``samples_with_class.json`` in the root (read by rare-class sampling). Files already
converted are skipped, so an interrupted run can simply be started again.

Examples::

    python tools/dataset_converters/prepare_gta.py data/gta --nproc 8
    python tools/dataset_converters/prepare_gta.py data/gta --check
"""
from __future__ import annotations

import argparse
from typing import Optional, Sequence

import mmseg_semivl  # noqa: F401  (must precede mmseg imports)
from mmseg_semivl.datasets.gta import GTA_ID_TO_TRAIN_ID, GTA_NUM_IMAGES  # noqa: E402
from mmseg_semivl.datasets.label_conversion import (LabelGroup, add_converter_args,  # noqa: E402
                                                    run_converter)
from mmseg_semivl.datasets.uda_base import CITYSCAPES_CLASSES  # noqa: E402
from mmseg_semivl.utils.cli import run_tool  # noqa: E402

HINT = ('Download the GTA5 image and label parts from '
        'https://download.visinf.tu-darmstadt.de/data/from_games/ and unpack them into '
        '<root>/images and <root>/labels.')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('root', help='GTA5 root (holds images/ and labels/)')
    add_converter_args(parser)
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    return run_converter(
        args, dataset='GTA5', root=args.root,
        groups=[LabelGroup('images', 'labels', GTA_NUM_IMAGES)], img_suffix='.png',
        raw_suffix='.png', train_suffix='_labelTrainIds.png', mapping=GTA_ID_TO_TRAIN_ID,
        reader='index', hint=HINT, class_names=CITYSCAPES_CLASSES,
        stats_dir=None if args.no_stats else (args.stats_dir or args.root))


if __name__ == '__main__':
    run_tool(main)
