"""Write SYNTHIA-RAND-CITYSCAPES' ``*_labelTrainIds.png`` masks and rare-class statistics.

Download SYNTHIA-RAND-CITYSCAPES (CVPR16, 9,400 frames, http://synthia-dataset.net/downloads/)
and unpack it to::

    <root>/RGB/0000000.png ...
    <root>/GT/LABELS/0000000.png ...   # 16-bit PNGs, class id in the first channel

The class id is read unchanged from the first channel (OpenCV's last) and mapped to the
16 Cityscapes train ids SYNTHIA annotates (terrain, truck and train never occur; every
other id -> 255). The tool writes ``GT/LABELS/<id>_labelTrainIds.png`` (read by
``SynthiaDataset``) and, in the same pass, the rare-class statistics in the root.
Converted files are skipped on a re-run.

Examples::

    python tools/dataset_converters/prepare_synthia.py data/synthia --nproc 8
    python tools/dataset_converters/prepare_synthia.py data/synthia --check
"""
from __future__ import annotations

import argparse
from typing import Optional, Sequence

import mmseg_semivl  # noqa: F401  (must precede mmseg imports)
from mmseg_semivl.datasets.label_conversion import (LabelGroup, add_converter_args,  # noqa: E402
                                                    run_converter)
from mmseg_semivl.datasets.synthia import (SYNTHIA_ID_TO_TRAIN_ID,  # noqa: E402
                                           SYNTHIA_NUM_IMAGES)
from mmseg_semivl.datasets.uda_base import CITYSCAPES_CLASSES  # noqa: E402
from mmseg_semivl.utils.cli import run_tool  # noqa: E402

HINT = ('Download SYNTHIA-RAND-CITYSCAPES from http://synthia-dataset.net/downloads/ and '
        'unpack it so that <root>/RGB and <root>/GT/LABELS exist.')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('root', help='SYNTHIA root (holds RGB/ and GT/LABELS/)')
    add_converter_args(parser)
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    return run_converter(
        args, dataset='SYNTHIA', root=args.root,
        groups=[LabelGroup('RGB', 'GT/LABELS', SYNTHIA_NUM_IMAGES)], img_suffix='.png',
        raw_suffix='.png', train_suffix='_labelTrainIds.png', mapping=SYNTHIA_ID_TO_TRAIN_ID,
        reader='last_channel', hint=HINT, class_names=CITYSCAPES_CLASSES,
        stats_dir=None if args.no_stats else (args.stats_dir or args.root))


if __name__ == '__main__':
    run_tool(main)
