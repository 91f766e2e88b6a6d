"""SYNTHIA-RAND-CITYSCAPES (Ros et al. 2016): 9,400 synthetic 1280 x 760 frames."""
from __future__ import annotations

from mmseg.registry import DATASETS

from .uda_base import CITYSCAPES_CLASSES, UDABaseDataset

#: SYNTHIA class id (first channel of the 16-bit label PNG, i.e. the last one in OpenCV's
#: BGR order) -> Cityscapes train id. SYNTHIA-RAND-CITYSCAPES has no terrain (9), truck
#: (14) or train (16); its README ids for them (16, 18, 20) never occur and map to 255
#: like every other id (void, parking slot, road work, lane marking).
SYNTHIA_ID_TO_TRAIN_ID = {
    3: 0, 4: 1, 2: 2, 21: 3, 5: 4, 7: 5, 15: 6, 9: 7, 6: 8, 1: 10, 10: 11, 17: 12, 8: 13,
    19: 15, 12: 17, 11: 18
}
#: Train ids that SYNTHIA annotates (the 16 classes of "mIoU16").
SYNTHIA_16_TRAIN_IDS = tuple(sorted(SYNTHIA_ID_TO_TRAIN_ID.values()))
#: The 13 classes of "mIoU13": the 16 without wall (3), fence (4) and pole (5).
SYNTHIA_13_TRAIN_IDS = tuple(c for c in SYNTHIA_16_TRAIN_IDS if c not in (3, 4, 5))
SYNTHIA_16_CLASSES = tuple(CITYSCAPES_CLASSES[c] for c in SYNTHIA_16_TRAIN_IDS)
SYNTHIA_13_CLASSES = tuple(CITYSCAPES_CLASSES[c] for c in SYNTHIA_13_TRAIN_IDS)
SYNTHIA_NUM_IMAGES = 9400


@DATASETS.register_module()
class SynthiaDataset(UDABaseDataset):
    """SYNTHIA-RAND-CITYSCAPES with the 19 Cityscapes classes (16 of them annotated).

    The model keeps 19 outputs (as in DAFormer and its successors): the SYNTHIA labels
    simply never contain terrain, truck or train. The literature reports the mean IoU over
    the 16 annotated classes (mIoU16) and over 13 of them (mIoU13, also without wall,
    fence, pole); :class:`mmseg_semivl.evaluation.UDAIoUMetric` with
    ``class_subsets='synthia'`` computes both next to the 19-class mIoU.

    Layout under ``data_root``::

        RGB/0000000.png ...
        GT/LABELS/0000000.png                 # 16-bit, class id in the first channel
        GT/LABELS/0000000_labelTrainIds.png   # written by prepare_synthia.py
        sample_class_stats.json, samples_with_class.json

    Args:
        img_suffix (str): Defaults to '.png'.
        seg_map_suffix (str): Defaults to '_labelTrainIds.png'.
        data_prefix (dict): Defaults to ``dict(img_path='RGB', seg_map_path='GT/LABELS')``.
        **kwargs: Arguments of :class:`UDABaseDataset`.
    """
    EXPECTED_NUM_IMAGES = SYNTHIA_NUM_IMAGES
    CONVERTER = 'tools/dataset_converters/prepare_synthia.py'

    def __init__(self,
                 img_suffix: str = '.png',
                 seg_map_suffix: str = '_labelTrainIds.png',
                 data_prefix: dict = dict(img_path='RGB', seg_map_path='GT/LABELS'),
                 **kwargs) -> None:
        super().__init__(img_suffix=img_suffix, seg_map_suffix=seg_map_suffix,
                         data_prefix=data_prefix, **kwargs)
