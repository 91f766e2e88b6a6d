"""Segmentation dataset read from a ``<image path> [<label path>]`` split list."""
from __future__ import annotations

import os.path as osp
from typing import List

import mmengine.fileio as fileio
from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from .split_files import resolve_split_name, shipped_splits_help
from .transforms.checks import bind_dataset_classes
from .split_io import SplitEntry, read_split_list


@DATASETS.register_module()
class SplitListDataset(BaseSegDataset):
    """Dataset whose samples are the lines of a split list (UniMatch / SemiVL format).

    Each non-blank line of ``ann_file`` is ``<image path> <label path>``, both relative to
    the dataset root (more precisely: the image path to ``data_prefix['img_path']`` and the
    label path to ``data_prefix['seg_map_path']``, which both default to ``data_root``).
    A line with only an image path is a sample without label (``seg_map_path`` None), as in
    the unlabeled lists written by ``tools/make_unlabeled_split.py``.

    ``ann_file`` is resolved in this order:

    1. an existing file: absolute, or relative to ``data_root`` (as in MMSeg);
    2. a list shipped with the package, named by its path inside ``mmseg_semivl/splits``,
       e.g. ``'pascal/92/labeled.txt'``, ``'ade/val.txt'``;
    3. otherwise a ``FileNotFoundError`` naming the paths tried and the shipped lists.

    Args:
        ann_file: The split list (see above).
        with_labels: If False, label paths in the list are ignored and every sample has
            ``seg_map_path`` None (e.g. a labeled list used as unlabeled data). Defaults to
            True.
        check_files: Check at start that every listed file exists and raise one error that
            names the list, the line numbers and the first ``max_missing_reported`` missing
            paths. Costs one ``stat`` per file. Defaults to True.
        max_missing_reported: Number of missing files spelled out in that error.
            Defaults to 5.
        **kwargs: Arguments of :class:`mmseg.datasets.BaseSegDataset` (``data_root``,
            ``data_prefix``, ``metainfo``, ``pipeline``, ``reduce_zero_label``,
            ``ignore_index`` (255), ``test_mode``, ``backend_args``, ...). ``img_suffix``
            and ``seg_map_suffix`` are unused: the list holds full file names.
    """
    METAINFO: dict = dict()

    def __init__(self,
                 ann_file: str = '',
                 with_labels: bool = True,
                 check_files: bool = True,
                 max_missing_reported: int = 5,
                 **kwargs) -> None:
        if not ann_file:
            raise ValueError(f'{type(self).__name__} needs `ann_file`, a split list such as '
                             f"'pascal/92/labeled.txt'.\n{shipped_splits_help()}")
        self.with_labels = with_labels
        self.check_files = check_files
        self.max_missing_reported = max_missing_reported
        # BaseDataset joins ann_file with data_root; keep the name as given so that a
        # shipped list can still be found by name afterwards.
        self._ann_file_arg = str(ann_file)
        super().__init__(ann_file=str(ann_file), **kwargs)
        classes = self.metainfo.get('classes') or ()
        if classes:
            bind_dataset_classes(self.pipeline, len(classes))

    def _resolve_ann_file(self) -> str:
        """Path of the list to read (see the class docstring for the order)."""
        candidate = str(self.ann_file)
        if fileio.isfile(candidate, backend_args=self.backend_args):
            return candidate
        shipped = resolve_split_name(self._ann_file_arg)
        if shipped is not None:
            return str(shipped)
        tried = sorted({candidate, self._ann_file_arg})
        raise FileNotFoundError(
            f'{type(self).__name__}: split list {self._ann_file_arg!r} not found (tried '
            f'{", ".join(tried)}; data_root={self.data_root!r}) and it names no shipped '
            f'list. {shipped_splits_help()}')

    def load_data_list(self) -> List[dict]:
        """Read the split list into MMSeg data infos.

        Returns:
            list[dict]: Per sample ``img_path``, ``seg_map_path`` (None for samples without
            label), ``label_map``, ``reduce_zero_label``, ``seg_fields``, and ``line_no``
            (line in the list, for diagnostics).
        """
        self.ann_file = self._resolve_ann_file()
        entries = read_split_list(self.ann_file, backend_args=self.backend_args)
        if not entries:
            # MMEngine would fail with "need at least one array to concatenate".
            raise ValueError(
                f'{type(self).__name__}: split list {self.ann_file} has no entries (only '
                'blank lines or an empty file); write one "<image> [<label>]" per line, '
                'e.g. with tools/make_splits.py.')
        img_dir = self.data_prefix.get('img_path') or ''
        ann_dir = self.data_prefix.get('seg_map_path') or ''
        data_list = []
        for entry in entries:
            seg_map = entry.seg_map_path if self.with_labels else None
            data_list.append(
                dict(
                    img_path=osp.join(img_dir, entry.img_path),
                    seg_map_path=None if seg_map is None else osp.join(ann_dir, seg_map),
                    label_map=self.label_map,
                    reduce_zero_label=self.reduce_zero_label,
                    seg_fields=[],
                    line_no=entry.line_no))
        if self.check_files:
            self._check_files_exist(entries, data_list)
        return data_list

    def _check_files_exist(self, entries: List[SplitEntry], data_list: List[dict]) -> None:
        """Raise one FileNotFoundError listing the first missing files of the list."""
        missing = []
        for entry, info in zip(entries, data_list):
            for kind in ('img_path', 'seg_map_path'):
                path = info[kind]
                if path is not None and not self._exists(path):
                    missing.append(f'  line {entry.line_no}: {path}')
        if not missing:
            return
        shown = missing[:self.max_missing_reported]
        more = len(missing) - len(shown)
        root_hint = ''
        if self.data_root and self.backend_args is None and not osp.isdir(self.data_root):
            root_hint = ' - the data_root folder itself does not exist'
        raise FileNotFoundError(
            f'{len(missing)} file(s) named in split list {self.ann_file} do not exist '
            f'(data_root={self.data_root!r}{root_hint}):\n' + '\n'.join(shown) +
            (f'\n  ... and {more} more' if more else '') +
            '\nCheck data_root / data_prefix, prepare the dataset with '
            'tools/dataset_converters, or pass check_files=False to skip this check.')

    def _exists(self, path: str) -> bool:
        if self.backend_args is None:
            return osp.isfile(path)
        return fileio.exists(path, backend_args=self.backend_args)
