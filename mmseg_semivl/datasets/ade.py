"""ADE20K (SceneParsing, 150 classes) read from the SemiVL split lists."""
from mmseg.datasets import ADE20KDataset
from mmseg.registry import DATASETS

from .split_list import SplitListDataset


@DATASETS.register_module()
class ADE20KSplitDataset(SplitListDataset):
    """ADE20K with MMSeg's 150 class names and palette.

    The annotation PNGs store 0 = "other" and 1..150 = the classes; with
    ``reduce_zero_label=True`` (default, as in MMSeg and SemiVL) 0 becomes 255 (ignored)
    and k becomes k - 1. The shipped lists (``ade/<1_128|...|1_8>/labeled.txt``,
    ``ade/val.txt``) expect the ADEChallengeData2016 layout under ``data_root``::

        images/{training,validation}/ADE_*.jpg
        annotations/{training,validation}/ADE_*.png

    Args:
        reduce_zero_label: Map label 0 to ignore and shift the others down by one.
            Defaults to True.
        **kwargs: Arguments of :class:`SplitListDataset`.
    """
    METAINFO = ADE20KDataset.METAINFO

    def __init__(self, reduce_zero_label: bool = True, **kwargs) -> None:
        super().__init__(reduce_zero_label=reduce_zero_label, **kwargs)
