"""Map Mapillary Vistas v1.2 labels to the 19 Cityscapes train ids (+ statistics).

Download Mapillary Vistas (https://www.mapillary.com/dataset/vistas; v1.2 labels, 66
classes) and unpack it to::

    <root>/{training,validation}/images/<key>.jpg
    <root>/{training,validation}/labels/<key>.png     # v1.2 class index per pixel

Each label becomes ``labels/<key>_labelTrainIds.png`` (read by
``MapillaryCityscapesDataset``) with the HRDA mapping (e.g. road + lane marking +
manhole -> road; 41 classes -> 255). The rare-class statistics of a split go to
``<stats dir>/<split>/`` (default: ``<root>/<split>/``), with paths relative to the root.

Examples::

    python tools/dataset_converters/prepare_mapillary.py data/mapillary --nproc 8
    python tools/dataset_converters/prepare_mapillary.py data/mapillary --splits validation --check
"""
from __future__ import annotations

import argparse
import os.path as osp
from typing import Optional, Sequence

import mmseg_semivl  # noqa: F401  (must precede mmseg imports)
from mmseg_semivl.datasets.label_conversion import (LabelGroup, add_converter_args,  # noqa: E402
                                                    run_converter)
from mmseg_semivl.datasets.mapillary import (MAPILLARY_ID_TO_TRAIN_ID,  # noqa: E402
                                             MAPILLARY_NUM_IMAGES)
from mmseg_semivl.datasets.uda_base import CITYSCAPES_CLASSES  # noqa: E402
from mmseg_semivl.utils.cli import run_tool  # noqa: E402

HINT = ('Download Mapillary Vistas (v1.2 labels) from https://www.mapillary.com/dataset/vistas '
        'and unpack it so that <root>/<split>/images and <root>/<split>/labels exist.')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('root', help='Mapillary root (holds training/ and validation/)')
    parser.add_argument('--splits', nargs='+', default=['training', 'validation'],
                        choices=sorted(MAPILLARY_NUM_IMAGES), help='splits (both)')
    parser.add_argument('--label-dir', default='labels',
                        help="label folder inside each split: 'labels' (v1.2 release) or "
                        "'v1.2/labels' (the combined v1.2 + v2.0 release)")
    add_converter_args(parser)
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    for split in args.splits:
        stats_root = args.stats_dir or args.root
        run_converter(
            args, dataset=f'Mapillary {split}', root=args.root,
            groups=[LabelGroup(f'{split}/images', f'{split}/{args.label_dir}',
                               MAPILLARY_NUM_IMAGES[split])],
            img_suffix='.jpg', raw_suffix='.png', train_suffix='_labelTrainIds.png',
            mapping=MAPILLARY_ID_TO_TRAIN_ID, reader='index', hint=HINT,
            class_names=CITYSCAPES_CLASSES,
            stats_dir=None if args.no_stats else osp.join(stats_root, split))
    return 0


if __name__ == '__main__':
    run_tool(main)
