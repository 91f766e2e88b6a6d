"""A user's own domain-adaptation data, read from plain folders.

Layout under ``data_root``::

    classes.txt               one class name per line; line i (0-based) = label value i
    source/images/...         labeled source images (any sub-folders, .jpg/.png/...)
    source/labels/...         <same relative path and stem>.png, values 0..N-1, 255 ignore
    target/images/...         unlabeled target images (no labels needed)
    target_val/images/...     labeled target images for validation
    target_val/labels/...

``configs/uda/custom_folder_example.py`` trains on it (see docs/data_preparation.md).
"""
from __future__ import annotations

import os
import os.path as osp
from typing import List, Optional, Sequence, Tuple

from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from .unlabeled_folder import IMAGE_SUFFIXES

UDA_FOLDER_PARTS = ('source', 'target', 'target_val')


def read_classes_file(path: str) -> Tuple[str, ...]:
    """Class names of a ``classes.txt`` (one per line, blank lines and surrounding spaces
    ignored).

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: Naming the file if it is empty or repeats a name (with its lines).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'class list {path} not found: write one class name per '
                                'line (line 1 = label 0).')
    with open(path, encoding='utf-8') as f:
        names = [(i, line.strip()) for i, line in enumerate(f, start=1) if line.strip()]
    if not names:
        raise ValueError(f'class list {path} holds no class name')
    seen = {}
    for line_no, name in names:
        if name in seen:
            raise ValueError(f'{path}: class {name!r} on lines {seen[name]} and {line_no}')
        seen[name] = line_no
    return tuple(name for _, name in names)


@DATASETS.register_module()
class UDAFolderDataset(BaseSegDataset):
    """One part (source, target or target_val) of a folder-based UDA dataset.

    Args:
        part (str): 'source', 'target' or 'target_val'.
        classes_file (str): Class list relative to ``data_root`` (or absolute).
            Defaults to 'classes.txt'.
        with_labels (bool, optional): Read labels; defaults to False for 'target' and
            True otherwise.
        img_suffixes (Sequence[str]): Accepted image endings (case-insensitive).
        seg_map_suffix (str): Label ending replacing the image's. Defaults to '.png'.
        num_classes (int, optional): If given, must equal the number of classes in
            ``classes_file`` (catches a config written for another class list).
        **kwargs: Arguments of :class:`mmseg.datasets.BaseSegDataset` (``data_root``,
            ``pipeline``, ``metainfo``: if it names ``classes``, they must equal the file's).
    """
    METAINFO: dict = dict()

    def __init__(self,
                 part: str = 'source',
                 classes_file: str = 'classes.txt',
                 with_labels: Optional[bool] = None,
                 img_suffixes: Sequence[str] = IMAGE_SUFFIXES,
                 seg_map_suffix: str = '.png',
                 num_classes: Optional[int] = None,
                 **kwargs) -> None:
        if part not in UDA_FOLDER_PARTS:
            raise ValueError(f'UDAFolderDataset: part must be one of {UDA_FOLDER_PARTS}, '
                             f'got {part!r}')
        self.part = part
        self.with_labels = (part != 'target') if with_labels is None else with_labels
        self.img_suffixes = tuple(s.lower() for s in img_suffixes)
        data_root = kwargs.get('data_root') or ''
        self.classes_file = osp.join(data_root, classes_file)
        classes = read_classes_file(self.classes_file)
        if num_classes is not None and num_classes != len(classes):
            raise ValueError(f'UDAFolderDataset: {self.classes_file} lists {len(classes)} '
                             f'classes but the config says num_classes={num_classes}')
        metainfo = dict(kwargs.pop('metainfo', None) or {})
        if 'classes' in metainfo and tuple(metainfo['classes']) != classes:
            raise ValueError(f'UDAFolderDataset: the config\'s classes {tuple(metainfo["classes"])}'
                             f' differ from {self.classes_file}: {classes}')
        metainfo['classes'] = classes
        kwargs.setdefault('data_prefix', dict(img_path=osp.join(part, 'images'),
                                              seg_map_path=osp.join(part, 'labels')))
        super().__init__(metainfo=metainfo, seg_map_suffix=seg_map_suffix, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Every image under ``<part>/images``, sorted, with its label when labeled.

        Raises:
            FileNotFoundError: Naming the missing or empty folder, or the images whose
                label is missing (count and first few).
        """
        img_dir = self.data_prefix.get('img_path') or ''
        ann_dir = self.data_prefix.get('seg_map_path') or ''
        if not osp.isdir(img_dir):
            raise FileNotFoundError(f'UDAFolderDataset ({self.part}): image folder {img_dir} '
                                    'does not exist')
        rel_paths = []
        for parent, dirs, names in os.walk(img_dir):
            dirs.sort()
            rel_paths += [osp.relpath(osp.join(parent, n), img_dir) for n in names
                          if n.lower().endswith(self.img_suffixes)]
        if not rel_paths:
            raise FileNotFoundError(f'UDAFolderDataset ({self.part}): no image ending with '
                                    f'{self.img_suffixes} in {img_dir}')
        data_list, missing = [], []
        for rel in sorted(rel_paths):
            seg = None
            if self.with_labels:
                seg = osp.join(ann_dir, osp.splitext(rel)[0] + self.seg_map_suffix)
                if not osp.isfile(seg):
                    missing.append(seg)
            data_list.append(dict(img_path=osp.join(img_dir, rel), seg_map_path=seg,
                                  label_map=self.label_map,
                                  reduce_zero_label=self.reduce_zero_label, seg_fields=[]))
        if missing:
            raise FileNotFoundError(
                f'UDAFolderDataset ({self.part}): {len(missing)} of {len(data_list)} images '
                f'have no label, e.g. {missing[:3]} (a label has the image\'s relative path '
                f'with the ending {self.seg_map_suffix})')
        return data_list
