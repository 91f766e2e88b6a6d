"""COCO-Object (81 classes) read from the UniMatch / SemiVL split lists."""
from typing import List

from mmseg.registry import DATASETS

from .split_list import SplitListDataset

#: Label 0 plus the 80 COCO "thing" categories in increasing COCO category id (1, 2, ...,
#: 90 with gaps), i.e. label k = k-th category of ``instances_*.json`` sorted by id. This is
#: the order of the UniMatch masks and of SemiVL's class list; SemiVL names label 0 'void',
#: here it is 'background' because it is trained as the background class.
COCO_OBJECT_CLASSES = (
    'background', 'person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train',
    'truck', 'boat', 'traffic light', 'fire hydrant', 'stop sign', 'parking meter', 'bench',
    'bird', 'cat', 'dog', 'horse', 'sheep', 'cow', 'elephant', 'bear', 'zebra', 'giraffe',
    'backpack', 'umbrella', 'handbag', 'tie', 'suitcase', 'frisbee', 'skis', 'snowboard',
    'sports ball', 'kite', 'baseball bat', 'baseball glove', 'skateboard', 'surfboard',
    'tennis racket', 'bottle', 'wine glass', 'cup', 'fork', 'knife', 'spoon', 'bowl', 'banana',
    'apple', 'sandwich', 'orange', 'broccoli', 'carrot', 'hot dog', 'pizza', 'donut', 'cake',
    'chair', 'couch', 'potted plant', 'bed', 'dining table', 'toilet', 'tv', 'laptop', 'mouse',
    'remote', 'keyboard', 'cell phone', 'microwave', 'oven', 'toaster', 'sink', 'refrigerator',
    'book', 'clock', 'vase', 'scissors', 'teddy bear', 'hair drier', 'toothbrush')


def pascal_colormap(num_classes: int) -> List[List[int]]:
    """The PASCAL VOC colour map (bit-interleaved RGB) for ``num_classes`` labels.

    Its first 21 colours are VOC's palette, so COCO classes shared with VOC look familiar
    in visualisations, and every label gets a distinct colour (0 = black).

    Args:
        num_classes: Number of colours (at most 256).

    Returns:
        list[list[int]]: ``num_classes`` RGB triples.
    """
    palette = []
    for label in range(num_classes):
        r = g = b = 0
        value = label
        for shift in range(7, -1, -1):
            r |= (value & 1) << shift
            g |= ((value >> 1) & 1) << shift
            b |= ((value >> 2) & 1) << shift
            value >>= 3
        palette.append([r, g, b])
    return palette


@DATASETS.register_module()
class COCOSplitDataset(SplitListDataset):
    """COCO 2017 as 81-class semantic segmentation (background + 80 things).

    Masks are single-channel PNGs with 0 = background, 1..80 = :data:`COCO_OBJECT_CLASSES`,
    255 = ignore. The shipped lists (``coco/<1_512|...|1_32>/labeled.txt``,
    ``coco/val.txt``) expect under ``data_root``::

        train2017/<id>.jpg   val2017/<id>.jpg
        masks/<id>.png       # train and val masks in one folder, as distributed by UniMatch

    ``tools/dataset_converters/prepare_coco.py`` writes the masks from the instance
    annotations.

    Args:
        **kwargs: Arguments of :class:`SplitListDataset`.
    """
    METAINFO = dict(classes=COCO_OBJECT_CLASSES,
                    palette=pascal_colormap(len(COCO_OBJECT_CLASSES)))
