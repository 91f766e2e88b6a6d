"""Shared parts of the domain-adaptation datasets (19 Cityscapes classes, trainId labels).

Every UDA dataset of this package predicts the 19 Cityscapes training classes and reads
``*_labelTrainIds.png`` masks (0..18, 255 = ignore) written by the converters in
``tools/dataset_converters/``. Each dataset can also be used as an *unlabeled target*
(``with_labels=False``): then only images are listed and no label file is needed.
"""
from __future__ import annotations

import logging
import os.path as osp
from typing import List, Optional

from mmengine.logging import print_log
from mmseg.datasets import BaseSegDataset, BDD100KDataset, CityscapesDataset, DarkZurichDataset
from mmseg.registry import DATASETS

#: The 19 Cityscapes training classes, in train-id order (MMSeg's list).
CITYSCAPES_CLASSES = tuple(CityscapesDataset.METAINFO['classes'])
#: MMSeg's Cityscapes palette, one RGB triple per train id.
CITYSCAPES_PALETTE = [list(c) for c in CityscapesDataset.METAINFO['palette']]
#: Number of Cityscapes training classes.
NUM_CITYSCAPES_CLASSES = len(CITYSCAPES_CLASSES)
IGNORE_INDEX = 255


class ImagesOnlyMixin:
    """Turn a labeled MMSeg dataset into an images-only (unlabeled target) one.

    Put first in the bases: ``class X(ImagesOnlyMixin, CityscapesDataset)``. The parent
    lists its samples as usual; every ``seg_map_path`` is then set to None, so the
    pipeline (``LoadOptionalAnnotations``) reads no label and none has to exist.
    """

    def load_data_list(self) -> List[dict]:
        data_list = super().load_data_list()  # type: ignore[misc]
        for info in data_list:
            info['seg_map_path'] = None
        return data_list


class UDABaseDataset(BaseSegDataset):
    """Folder-scanning dataset with the 19 Cityscapes classes and start-up checks.

    MMSeg's ``BaseSegDataset`` scans ``data_prefix['img_path']`` for ``img_suffix`` and
    derives each label path from the image name; it neither notices an empty folder nor a
    label that was never converted. Here both end in one error that names the folder,
    the number of files found against the number expected, and the converter to run.

    Args:
        with_labels (bool): If False, list images only (``seg_map_path`` None), as an
            unlabeled target domain. Defaults to True.
        check_files (bool): Check that the image folder holds images and that every
            label exists. Costs one ``stat`` per label. Defaults to True.
        max_missing_reported (int): Missing labels spelled out in that error. Defaults
            to 5.
        missing_labels (str): 'raise' (default): a missing label stops with that error;
            'skip': images without a label are left out, with a warning naming how many
            (some GTA5 downloads lack a few label files).
        **kwargs: Arguments of :class:`mmseg.datasets.BaseSegDataset`.
    """
    METAINFO = dict(classes=CITYSCAPES_CLASSES, palette=CITYSCAPES_PALETTE)
    #: Number of training images of the full dataset (for messages only).
    EXPECTED_NUM_IMAGES: Optional[int] = None
    #: The tool that writes this dataset's trainId labels (named in errors).
    CONVERTER = ''

    def __init__(self,
                 with_labels: bool = True,
                 check_files: bool = True,
                 max_missing_reported: int = 5,
                 missing_labels: str = 'raise',
                 **kwargs) -> None:
        if missing_labels not in ('raise', 'skip'):
            raise ValueError(f"{type(self).__name__}: missing_labels must be 'raise' or "
                             f"'skip', got {missing_labels!r}")
        self.missing_labels = missing_labels
        self.with_labels = with_labels
        self.check_files = check_files
        self.max_missing_reported = max_missing_reported
        super().__init__(**kwargs)

    def _hint(self) -> str:
        return f' Prepare it with {self.CONVERTER}.' if self.CONVERTER else ''

    def load_data_list(self) -> List[dict]:
        """Scan the image folder; drop or check the labels.

        Returns:
            list[dict]: MMSeg data infos, sorted by image path.

        Raises:
            FileNotFoundError: Naming the missing folder, the empty folder, or the first
                missing label files with their count.
        """
        img_dir = self.data_prefix.get('img_path') or ''
        if self.check_files and self.backend_args is None and not osp.isdir(img_dir):
            raise FileNotFoundError(
                f'{type(self).__name__}: image folder {img_dir} does not exist '
                f'(data_root={self.data_root!r}).{self._hint()}')
        data_list = super().load_data_list()
        return self._finish(data_list, img_dir)

    def _finish(self, data_list: List[dict], img_dir: str) -> List[dict]:
        """Apply ``with_labels`` and the checks to a scanned data list."""
        if self.check_files and not data_list:
            raise FileNotFoundError(
                f'{type(self).__name__}: no *{self.img_suffix} image in {img_dir} '
                f'(found 0{self._expected()}).{self._hint()}')
        if not self.with_labels:
            for info in data_list:
                info['seg_map_path'] = None
            return data_list
        if self.check_files and self.backend_args is None:
            missing = [info['seg_map_path'] for info in data_list
                       if not osp.isfile(info['seg_map_path'])]
            if missing and self.missing_labels == 'skip' and len(missing) < len(data_list):
                print_log(f'{type(self).__name__}: {len(missing)} of {len(data_list)} images '
                          f'have no label (e.g. {missing[0]}) and are left out.',
                          logger='current', level=logging.WARNING)
                absent = set(missing)
                return [info for info in data_list if info['seg_map_path'] not in absent]
            if missing:
                shown = '\n  '.join(missing[:self.max_missing_reported])
                raise FileNotFoundError(
                    f'{type(self).__name__}: {len(missing)} of {len(data_list)} label files '
                    f'(*{self.seg_map_suffix}) are missing, e.g.\n  {shown}\n'
                    f'Write them first or use with_labels=False for an unlabeled target.'
                    f'{self._hint()}')
        return data_list

    def _expected(self) -> str:
        n = self.EXPECTED_NUM_IMAGES
        return f' of {n:,} in the full dataset' if n else ''


@DATASETS.register_module()
class UnlabeledCityscapesDataset(ImagesOnlyMixin, CityscapesDataset):
    """MMSeg's ``CityscapesDataset`` as an unlabeled target: ``*_leftImg8bit.png`` only."""


@DATASETS.register_module()
class UnlabeledDarkZurichDataset(ImagesOnlyMixin, DarkZurichDataset):
    """MMSeg's ``DarkZurichDataset`` as an unlabeled target: ``*_rgb_anon.png`` only.

    Dark Zurich's training night images have no labels at all; point ``data_prefix``
    at ``rgb_anon/train/night`` (see docs/data_preparation.md).
    """


@DATASETS.register_module()
class UnlabeledBDD100KDataset(ImagesOnlyMixin, BDD100KDataset):
    """MMSeg's ``BDD100KDataset`` as an unlabeled target: ``*.jpg`` only."""
