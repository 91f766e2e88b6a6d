"""Write the 81-class COCO masks (``masks/<id>.png``) from the instance annotations.

Expected layout (COCO 2017 from https://cocodataset.org)::

    <root>/train2017/*.jpg   <root>/val2017/*.jpg
    <root>/annotations/instances_train2017.json   instances_val2017.json

Output: ``<root>/masks/<image id>.png`` for train and val alike (the layout of the shipped
coco lists), single channel, 0 = background, k = k-th of the 80 categories sorted by COCO
category id (the order of ``COCOSplitDataset``'s classes: 1 = person, ..., 80 =
toothbrush), 255 = ignore. Instances are drawn from the largest to the smallest so that
small objects stay visible where instances overlap; crowd regions are ignore (255) by
default (``--crowd class`` draws them as their class). UniMatch distributes its own
preprocessed masks and does not publish how overlaps and crowds were resolved, so masks
from this tool may differ from those on such pixels.

Needs pycocotools (``pip install pycocotools``) to decode polygons and RLE.

Example::

    python tools/dataset_converters/prepare_coco.py data/coco
"""
from __future__ import annotations

import argparse
import os
from typing import Callable, Dict, Optional, Sequence

import mmseg_semivl  # noqa: F401  (must precede mmseg imports)
from mmseg_semivl.utils.cli import run_tool  # noqa: E402
import cv2
import numpy as np

DEFAULT_SUBSETS = ('train2017', 'val2017')
IGNORE_INDEX = 255
NUM_THING_CLASSES = 80


def load_coco_api() -> type:
    """The ``pycocotools.coco.COCO`` class, or an ImportError telling how to install it."""
    try:
        from pycocotools.coco import COCO
    except ImportError as error:
        raise ImportError('prepare_coco.py needs pycocotools to decode the COCO instance '
                          'annotations: pip install pycocotools') from error
    return COCO


def category_to_label(category_ids: Sequence[int]) -> Dict[int, int]:
    """COCO category id -> label 1..80 in increasing category id (0 = background).

    Raises:
        ValueError: If there are not exactly 80 categories.
    """
    ids = sorted(set(category_ids))
    if len(ids) != NUM_THING_CLASSES:
        raise ValueError(f'expected the {NUM_THING_CLASSES} COCO thing categories, got '
                         f'{len(ids)}: is this an instances_*.json file?')
    return {cat_id: label for label, cat_id in enumerate(ids, start=1)}


def draw_semantic_mask(height: int, width: int, annotations: Sequence[dict],
                       cat_to_label: Dict[int, int],
                       ann_to_mask: Callable[[dict], np.ndarray],
                       crowd: str = 'ignore') -> np.ndarray:
    """Semantic mask of one image from its instance annotations.

    Args:
        height: Image height.
        width: Image width.
        annotations: COCO annotation dicts of the image (``category_id``, ``area``,
            ``iscrowd``, ``segmentation``).
        cat_to_label: From :func:`category_to_label`.
        ann_to_mask: Decodes one annotation to a (H, W) binary mask (``COCO.annToMask``).
        crowd: 'ignore' (crowd pixels 255) or 'class' (crowd pixels get their class).

    Returns:
        np.ndarray: (H, W) uint8 mask, 0 = background.
    """
    if crowd not in ('ignore', 'class'):
        raise ValueError(f"crowd must be 'ignore' or 'class', got {crowd!r}")
    mask = np.zeros((height, width), dtype=np.uint8)
    # Largest first: later (smaller) instances are painted on top and stay visible.
    for ann in sorted(annotations, key=lambda a: -a.get('area', 0)):
        pixels = ann_to_mask(ann).astype(bool)
        if ann.get('iscrowd', 0) and crowd == 'ignore':
            mask[pixels] = IGNORE_INDEX
        else:
            mask[pixels] = cat_to_label[ann['category_id']]
    return mask


def check_layout(root: str, subsets: Sequence[str] = DEFAULT_SUBSETS) -> None:
    """Raise FileNotFoundError naming every missing image folder / annotation file."""
    if not os.path.isdir(root):
        raise FileNotFoundError(f'COCO root {root} does not exist.')
    missing = [os.path.join(root, s) for s in subsets if not os.path.isdir(os.path.join(root, s))]
    missing += [os.path.join(root, 'annotations', f'instances_{s}.json') for s in subsets
                if not os.path.isfile(os.path.join(root, 'annotations', f'instances_{s}.json'))]
    if missing:
        raise FileNotFoundError('COCO files missing: ' + ', '.join(missing) + '. Unzip '
                                'train2017.zip, val2017.zip and annotations_trainval2017.zip '
                                f'into {root}.')


def convert_subset(root: str, subset: str, out_dir: str, crowd: str = 'ignore',
                   overwrite: bool = False) -> int:
    """Write the masks of one subset; returns the number of images."""
    coco = load_coco_api()(os.path.join(root, 'annotations', f'instances_{subset}.json'))
    cat_to_label = category_to_label(coco.getCatIds())
    for image_id in coco.getImgIds():
        info = coco.loadImgs(image_id)[0]
        out = os.path.join(out_dir, os.path.splitext(info['file_name'])[0] + '.png')
        if os.path.isfile(out) and not overwrite:
            continue
        anns = coco.loadAnns(coco.getAnnIds(imgIds=image_id))
        cv2.imwrite(out, draw_semantic_mask(info['height'], info['width'], anns,
                                            cat_to_label, coco.annToMask, crowd))
    return len(coco.getImgIds())


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('root', help='COCO root (train2017/, val2017/, annotations/)')
    parser.add_argument('--subsets', nargs='+', default=list(DEFAULT_SUBSETS),
                        help='image sets to convert (train2017 val2017)')
    parser.add_argument('--out-dir', help='mask folder (default: <root>/masks)')
    parser.add_argument('--crowd', choices=('ignore', 'class'), default='ignore',
                        help='label of crowd regions (ignore = 255)')
    parser.add_argument('--overwrite', action='store_true', help='rewrite existing masks')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    check_layout(args.root, args.subsets)
    load_coco_api()  # fail before any work if pycocotools is missing
    out_dir = args.out_dir or os.path.join(args.root, 'masks')
    os.makedirs(out_dir, exist_ok=True)
    for subset in args.subsets:
        count = convert_subset(args.root, subset, out_dir, args.crowd, args.overwrite)
        print(f'{subset}: {count} masks in {out_dir}')
    return 0


if __name__ == '__main__':
    run_tool(main)
