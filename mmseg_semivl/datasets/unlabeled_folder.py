"""All images of a folder as an unlabeled dataset (no split list needed)."""
from __future__ import annotations

import os
import os.path as osp
from typing import List, Sequence

from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

#: Image file name endings recognised by default (compared case-insensitively).
IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')


@DATASETS.register_module()
class UnlabeledFolderDataset(BaseSegDataset):
    """Unlabeled images found in a folder, e.g. a user's own raw images.

    Every file under ``data_prefix['img_path']`` (joined with ``data_root``) whose name
    ends with one of ``img_suffixes`` becomes one sample with ``seg_map_path`` None,
    in sorted path order so that indices are reproducible across machines.

    Args:
        img_suffixes: Accepted file name endings, case-insensitive. Defaults to
            :data:`IMAGE_SUFFIXES`.
        recursive: Also collect images in sub-folders. Defaults to True.
        **kwargs: Arguments of :class:`mmseg.datasets.BaseSegDataset`, usually
            ``data_root``, ``data_prefix=dict(img_path=...)``, ``metainfo`` (the classes
            of the labeled data) and ``pipeline``. ``ann_file`` is not used.
    """
    METAINFO: dict = dict()

    def __init__(self,
                 img_suffixes: Sequence[str] = IMAGE_SUFFIXES,
                 recursive: bool = True,
                 **kwargs) -> None:
        if kwargs.get('ann_file'):
            raise ValueError('UnlabeledFolderDataset reads a folder, not a list; got '
                             f'ann_file={kwargs["ann_file"]!r}. Use SplitListDataset with '
                             'with_labels=False for a list of images.')
        self.img_suffixes = tuple(s.lower() for s in img_suffixes)
        self.recursive = recursive
        kwargs.setdefault('data_prefix', dict(img_path=''))
        super().__init__(**kwargs)

    def load_data_list(self) -> List[dict]:
        """Collect the images.

        Returns:
            list[dict]: Per image ``img_path``, ``seg_map_path`` None, ``label_map``,
            ``reduce_zero_label`` and ``seg_fields``.

        Raises:
            FileNotFoundError: If the folder does not exist or holds no image.
        """
        img_dir = self.data_prefix.get('img_path') or self.data_root or ''
        if not osp.isdir(img_dir):
            raise FileNotFoundError(f'UnlabeledFolderDataset: image folder {img_dir!r} does '
                                    f'not exist (data_root={self.data_root!r}).')
        paths = []
        for root, dirs, files in os.walk(img_dir):
            if not self.recursive:
                dirs.clear()
            dirs.sort()
            paths += [osp.join(root, f) for f in files if f.lower().endswith(self.img_suffixes)]
        if not paths:
            raise FileNotFoundError(f'UnlabeledFolderDataset: no image ending with '
                                    f'{self.img_suffixes} in {img_dir!r}.')
        return [
            dict(img_path=path, seg_map_path=None, label_map=self.label_map,
                 reduce_zero_label=self.reduce_zero_label, seg_fields=[])
            for path in sorted(paths)
        ]
