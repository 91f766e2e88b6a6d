"""ACDC (Sakaridis et al. 2021): adverse conditions, 1920 x 1080, Cityscapes train ids."""
from __future__ import annotations

import os.path as osp
from typing import Dict, List, Sequence, Union

from mmengine import fileio
from mmseg.registry import DATASETS

from .uda_base import UDABaseDataset

ACDC_CONDITIONS = ('fog', 'night', 'rain', 'snow')
ACDC_SPLITS = ('train', 'val', 'test')
#: Images per condition and split of the official release (test labels are withheld).
ACDC_NUM_IMAGES: Dict[str, Dict[str, int]] = {
    'fog': dict(train=400, val=100, test=500),
    'night': dict(train=400, val=106, test=500),
    'rain': dict(train=400, val=100, test=500),
    'snow': dict(train=400, val=100, test=500),
}


@DATASETS.register_module()
class ACDCDataset(UDABaseDataset):
    """ACDC in its download layout, one condition, several, or all four.

    Layout under ``data_root`` (``rgb_anon_trainvaltest.zip`` and ``gt_trainval.zip``;
    the ``*_gt_labelTrainIds.png`` masks are part of the release)::

        rgb_anon/<condition>/<split>/<sequence>/<name>_rgb_anon.png
        gt/<condition>/<split>/<sequence>/<name>_gt_labelTrainIds.png

    ``<split>`` is train, val or test; the reference images (``train_ref`` ...) are not
    read. No folder has to be merged, unlike the anchors' instructions.

    Args:
        conditions (str | Sequence[str]): 'fog', 'night', 'rain', 'snow', a sequence of
            them, or 'all' (the default, in that order).
        split (str): 'train', 'val' or 'test'. Defaults to 'val'.
        img_dir (str): Image folder under ``data_root``. Defaults to 'rgb_anon'.
        ann_dir (str): Label folder under ``data_root``. Defaults to 'gt'.
        img_suffix (str): Defaults to '_rgb_anon.png'.
        seg_map_suffix (str): Defaults to '_gt_labelTrainIds.png'.
        **kwargs: Arguments of :class:`UDABaseDataset` (``with_labels`` False for the
            unlabeled target; the test split has no labels).
    """
    CONVERTER = 'tools/dataset_converters/prepare_acdc.py'

    def __init__(self,
                 conditions: Union[str, Sequence[str]] = 'all',
                 split: str = 'val',
                 img_dir: str = 'rgb_anon',
                 ann_dir: str = 'gt',
                 img_suffix: str = '_rgb_anon.png',
                 seg_map_suffix: str = '_gt_labelTrainIds.png',
                 **kwargs) -> None:
        self.conditions = self.parse_conditions(conditions)
        if split not in ACDC_SPLITS:
            raise ValueError(f'ACDCDataset: split must be one of {ACDC_SPLITS}, got {split!r}')
        self.split = split
        self.EXPECTED_NUM_IMAGES = sum(ACDC_NUM_IMAGES[c][split] for c in self.conditions)
        kwargs.setdefault('data_prefix', dict(img_path=img_dir, seg_map_path=ann_dir))
        super().__init__(img_suffix=img_suffix, seg_map_suffix=seg_map_suffix, **kwargs)

    @staticmethod
    def parse_conditions(conditions: Union[str, Sequence[str]]) -> tuple:
        """Normalise ``conditions`` to a tuple of condition names.

        Raises:
            ValueError: Naming an unknown condition.
        """
        if isinstance(conditions, str):
            conditions = ACDC_CONDITIONS if conditions == 'all' else (conditions, )
        conditions = tuple(conditions)
        unknown = [c for c in conditions if c not in ACDC_CONDITIONS]
        if unknown or not conditions:
            raise ValueError(f'ACDCDataset: unknown condition(s) {unknown or conditions}; '
                             f"choose from {ACDC_CONDITIONS} or 'all'")
        return conditions

    def load_data_list(self) -> List[dict]:
        """List ``<condition>/<split>`` of every selected condition.

        Returns:
            list[dict]: Data infos sorted by condition, then image path.
        """
        img_root = self.data_prefix.get('img_path') or ''
        ann_root = self.data_prefix.get('seg_map_path') or ''
        data_list = []
        for condition in self.conditions:
            img_dir = osp.join(img_root, condition, self.split)
            if self.check_files and not osp.isdir(img_dir):
                raise FileNotFoundError(
                    f'ACDCDataset: image folder {img_dir} does not exist (condition '
                    f'{condition!r}, split {self.split!r}, data_root={self.data_root!r}; '
                    f'{ACDC_NUM_IMAGES[condition][self.split]} images expected).{self._hint()}')
            names = sorted(
                fileio.list_dir_or_file(img_dir, list_dir=False, suffix=self.img_suffix,
                                        recursive=True, backend_args=self.backend_args))
            for name in names:
                seg = name[:-len(self.img_suffix)] + self.seg_map_suffix
                data_list.append(
                    dict(img_path=osp.join(img_dir, name),
                         seg_map_path=osp.join(ann_root, condition, self.split, seg),
                         condition=condition, label_map=self.label_map,
                         reduce_zero_label=self.reduce_zero_label, seg_fields=[]))
        return self._finish(data_list, osp.join(img_root, '{' + ','.join(self.conditions) +
                                                 '}', self.split))
