"""Cityscapes (19 training classes) read from the UniMatch / SemiVL split lists."""
from mmseg.datasets import CityscapesDataset
from mmseg.registry import DATASETS

from .split_list import SplitListDataset


@DATASETS.register_module()
class CityscapesSplitDataset(SplitListDataset):
    """Cityscapes fine annotations as train ids, with MMSeg's class names and palette.

    Masks are the ``*_gtFine_labelTrainIds.png`` files (0..18 = classes, 255 = ignore);
    ``tools/dataset_converters/prepare_cityscapes.py`` writes them from the
    ``*_gtFine_labelIds.png`` files of the official download. The shipped lists
    (``cityscapes/<1_30|1_16|1_8|1_4|1_2>/labeled.txt``, ``cityscapes/val.txt``) expect
    under ``data_root``::

        leftImg8bit/{train,val}/<city>/<name>_leftImg8bit.png
        gtFine/{train,val}/<city>/<name>_gtFine_labelTrainIds.png

    Args:
        **kwargs: Arguments of :class:`SplitListDataset`.
    """
    METAINFO = CityscapesDataset.METAINFO
