"""PASCAL VOC 2012 (augmented) read from the UniMatch / SemiVL split lists."""
from mmseg.datasets import PascalVOCDataset
from mmseg.registry import DATASETS

from .split_list import SplitListDataset

#: Class names as displayed in the SemiVL paper and used by the class-definition file
#: ``class_definitions/voc.yaml``. They differ from MMSeg's ``PascalVOCDataset`` names
#: ('diningtable', 'pottedplant', 'tvmonitor') only in spelling; the order, and hence
#: the label indices 0..20, are the same.
VOC_CLASSES = ('background', 'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car',
               'cat', 'chair', 'cow', 'dining table', 'dog', 'horse', 'motorbike', 'person',
               'potted plant', 'sheep', 'sofa', 'train', 'tv/monitor')


@DATASETS.register_module()
class PascalVOCSplitDataset(SplitListDataset):
    """PASCAL VOC 2012 with the SBD-augmented masks (SegmentationClassAug).

    21 classes (0 = background), 255 = ignore (object boundaries in VOC's own masks).
    The shipped lists (``pascal/<92|183|366|732|1464>/labeled.txt``, ``pascal/val.txt``,
    ``pascal/train_aug.txt``) expect this layout under ``data_root``::

        JPEGImages/<id>.jpg
        SegmentationClass/<id>.png   # the *augmented* masks, as distributed by UniMatch

    ``tools/dataset_converters/prepare_voc.py`` checks or builds it. Labels are read as
    stored (no ``reduce_zero_label``).

    Args:
        **kwargs: Arguments of :class:`SplitListDataset`.
    """
    METAINFO = dict(classes=VOC_CLASSES, palette=PascalVOCDataset.METAINFO['palette'])
