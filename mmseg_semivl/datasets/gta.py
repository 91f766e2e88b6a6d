"""GTA5 (Richter et al. 2016): 24,966 synthetic 1914 x 1052 frames, Cityscapes label ids."""
from __future__ import annotations

from mmseg.registry import DATASETS

from .uda_base import UDABaseDataset

#: GTA5 label id (= Cityscapes label id, read from the palette PNG) -> Cityscapes train
#: id; every other id (void classes, license plate, ...) becomes 255.
GTA_ID_TO_TRAIN_ID = {
    7: 0, 8: 1, 11: 2, 12: 3, 13: 4, 17: 5, 19: 6, 20: 7, 21: 8, 22: 9, 23: 10, 24: 11,
    25: 12, 26: 13, 27: 14, 28: 15, 31: 16, 32: 17, 33: 18
}
GTA_NUM_IMAGES = 24966


@DATASETS.register_module()
class GTADataset(UDABaseDataset):
    """GTA5 with the 19 Cityscapes classes (the usual UDA source).

    Layout under ``data_root`` (the download, plus the converter's trainId labels)::

        images/00001.png ... images/24966.png
        labels/00001.png                  # palette PNG, Cityscapes label ids
        labels/00001_labelTrainIds.png    # written by prepare_gta.py: 0..18, 255
        sample_class_stats.json, samples_with_class.json   # rare-class sampling

    Args:
        img_suffix (str): Defaults to '.png'.
        seg_map_suffix (str): Defaults to '_labelTrainIds.png'.
        data_prefix (dict): Defaults to ``dict(img_path='images', seg_map_path='labels')``.
        **kwargs: Arguments of :class:`UDABaseDataset` (``with_labels``, ...).
    """
    EXPECTED_NUM_IMAGES = GTA_NUM_IMAGES
    CONVERTER = 'tools/dataset_converters/prepare_gta.py'

    def __init__(self,
                 img_suffix: str = '.png',
                 seg_map_suffix: str = '_labelTrainIds.png',
                 data_prefix: dict = dict(img_path='images', seg_map_path='labels'),
                 **kwargs) -> None:
        super().__init__(img_suffix=img_suffix, seg_map_suffix=seg_map_suffix,
                         data_prefix=data_prefix, **kwargs)
