"""Mapillary Vistas v1.2 mapped to the 19 Cityscapes classes (a generalisation domain)."""
from __future__ import annotations

from mmseg.registry import DATASETS

from .uda_base import UDABaseDataset

#: Mapillary Vistas v1.2 class index (0-based, as in its config.json and MMSeg's
#: ``MapillaryDataset_v1``) -> Cityscapes train id; the other 41 classes become 255.
MAPILLARY_ID_TO_TRAIN_ID = {
    13: 0, 24: 0, 41: 0,  # road, lane marking - general, manhole
    2: 1, 15: 1,  # curb, sidewalk
    17: 2,  # building
    6: 3,  # wall
    3: 4,  # fence
    45: 5, 47: 5,  # pole, utility pole
    48: 6,  # traffic light
    50: 7,  # traffic sign (front)
    30: 8,  # vegetation
    29: 9,  # terrain
    27: 10,  # sky
    19: 11,  # person
    20: 12, 21: 12, 22: 12,  # bicyclist, motorcyclist, other rider
    55: 13,  # car
    61: 14,  # truck
    54: 15,  # bus
    58: 16,  # on rails
    57: 17,  # motorcycle
    52: 18,  # bicycle
}
#: Images of the v1.2 splits.
MAPILLARY_NUM_IMAGES = dict(training=18000, validation=2000)


@DATASETS.register_module()
class MapillaryCityscapesDataset(UDABaseDataset):
    """Mapillary Vistas (v1.2 labels) with the 19 Cityscapes classes.

    Layout under ``data_root`` (the v1.2 download, plus the converter's labels)::

        {training,validation}/images/<key>.jpg
        {training,validation}/labels/<key>.png                  # v1.2 class index
        {training,validation}/labels/<key>_labelTrainIds.png    # prepare_mapillary.py

    Images come in many sizes; the test pipelines resize them (``uda_test_domains.py``).

    Args:
        img_suffix (str): Defaults to '.jpg'.
        seg_map_suffix (str): Defaults to '_labelTrainIds.png'.
        data_prefix (dict): Defaults to the validation split,
            ``dict(img_path='validation/images', seg_map_path='validation/labels')``.
        **kwargs: Arguments of :class:`UDABaseDataset`.
    """
    EXPECTED_NUM_IMAGES = MAPILLARY_NUM_IMAGES['validation']
    CONVERTER = 'tools/dataset_converters/prepare_mapillary.py'

    def __init__(self,
                 img_suffix: str = '.jpg',
                 seg_map_suffix: str = '_labelTrainIds.png',
                 data_prefix: dict = dict(img_path='validation/images',
                                          seg_map_path='validation/labels'),
                 **kwargs) -> None:
        super().__init__(img_suffix=img_suffix, seg_map_suffix=seg_map_suffix,
                         data_prefix=data_prefix, **kwargs)
