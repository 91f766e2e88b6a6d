"""Input checks: undecodable images, out-of-range labels, class-list mismatches."""
from __future__ import annotations

import logging
from typing import Dict, Optional, Sequence

import mmcv
import mmengine.fileio as fileio
import numpy as np
from mmcv.transforms import LoadImageFromFile
from mmcv.transforms.base import BaseTransform
from mmengine.logging import print_log
from mmseg.registry import TRANSFORMS

ON_ERROR = ('raise', 'skip')
JPEG_END = b'\xff\xd9'


class BadInputError(ValueError):
    """An input file is unreadable or holds values the configuration does not allow."""


def _check_on_error(on_error: str) -> str:
    if on_error not in ON_ERROR:
        raise ValueError(f'on_error must be one of {ON_ERROR}, got {on_error!r}')
    return on_error


@TRANSFORMS.register_module()
class SafeLoadImageFromFile(LoadImageFromFile):
    """``LoadImageFromFile`` that names the file when it cannot be decoded.

    MMCV's loader fails on an unreadable image with ``'NoneType' object has no
    attribute 'astype'`` and decodes a truncated JPEG without complaint (OpenCV fills
    the missing rows with grey). Here both are a :class:`BadInputError` naming the
    path, or, with ``on_error='skip'``, a warning and ``None``: MMEngine's
    ``BaseDataset`` then draws another index (with NumPy's seeded generator, so the
    replacement is deterministic). :attr:`num_skipped` counts the skipped files of
    this process (each data-loader worker counts its own).

    Args:
        on_error (str): ``'raise'`` (default) or ``'skip'``.
        check_jpeg_end (bool): Treat JPEG files without the end-of-image marker as
            truncated. Defaults to True.
        **kwargs: Arguments of :class:`mmcv.transforms.LoadImageFromFile`.
    """

    def __init__(self, on_error: str = 'raise', check_jpeg_end: bool = True, **kwargs) -> None:
        if kwargs.get('ignore_empty'):
            raise ValueError('SafeLoadImageFromFile: use on_error="skip" instead of ignore_empty')
        super().__init__(**kwargs)
        self.on_error = _check_on_error(on_error)
        self.check_jpeg_end = check_jpeg_end
        self.num_skipped = 0

    def transform(self, results: Dict) -> Optional[Dict]:
        path = results['img_path']
        try:
            image_bytes = self._read(path)
            if self.check_jpeg_end and image_bytes[:2] == b'\xff\xd8' and (
                    JPEG_END not in image_bytes[-64:]):  # trailing padding is allowed
                raise BadInputError('truncated JPEG (no end-of-image marker)')
            img = mmcv.imfrombytes(image_bytes, flag=self.color_type,
                                   backend=self.imdecode_backend)
            if img is None:
                raise BadInputError('the file could not be decoded as an image')
        except Exception as err:  # noqa: BLE001 - re-raised with the path, or skipped
            return self._bad(path, err)
        # The rest is MMCV's LoadImageFromFile.
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results

    def _read(self, path: str) -> bytes:
        if self.file_client_args is not None:
            return fileio.FileClient.infer_client(self.file_client_args, path).get(path)
        return fileio.get(path, backend_args=self.backend_args)

    def _bad(self, path: str, err: Exception) -> None:  # returns None in skip mode
        message = f'unreadable image {path}: {err}'
        if self.on_error == 'raise':
            raise BadInputError(f'{message} (SafeLoadImageFromFile on_error="raise"; '
                                'set on_error="skip" to train on without it)') from err
        self.num_skipped += 1
        print_log(f'{message}; skipped ({self.num_skipped} skipped by this loader so far)',
                  logger='current', level=logging.WARNING)
        return None

    def __repr__(self) -> str:
        return f'{super().__repr__()[:-1]}, on_error={self.on_error!r})'


@TRANSFORMS.register_module()
class CheckLabelValues(BaseTransform):
    """Reject label maps with values that are neither a class index nor the ignore index.

    Placed after ``LoadAnnotations`` (which applies ``reduce_zero_label``), it catches
    label files of another dataset or encoding (e.g. colour-palette PNGs read as RGB,
    Cityscapes ids instead of train ids) that would otherwise crash the loss with a
    CUDA assert or train silently on garbage.

    It also checks that the label map has the size of its image (``check_size``): a
    mask of another size otherwise fails much later in ``PadToSize`` or a geometric
    transform, with a message that names neither file.

    Args:
        num_classes (int, optional): Valid labels are ``0 .. num_classes - 1``. None (the
            default) takes the class count of the dataset whose pipeline this is
            (:func:`bind_dataset_classes`), so a config that changes the classes need
            not restate its pipelines.
        ignore_index (int): The extra allowed value. Defaults to 255.
        on_error (str): ``'raise'`` (default) or ``'skip'`` (return ``None`` so the
            dataset draws another sample).
        check_size (bool): Require ``gt_seg_map`` and ``img`` to have the same height
            and width. Defaults to True.
    """

    def __init__(self, num_classes: Optional[int] = None, ignore_index: int = 255,
                 on_error: str = 'raise', check_size: bool = True) -> None:
        if num_classes is not None and num_classes < 1:
            raise ValueError(f'num_classes must be >= 1, got {num_classes}')
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        self.on_error = _check_on_error(on_error)
        self.check_size = check_size
        self.num_skipped = 0

    def transform(self, results: Dict) -> Optional[Dict]:
        if 'gt_seg_map' not in results:
            return results  # unlabeled samples
        if self.num_classes is None:
            raise ValueError('CheckLabelValues(num_classes=None) outside a dataset that sets '
                             'it: give num_classes, or use it in a split-list dataset pipeline')
        message = label_size_mismatch(results) if self.check_size else None
        if message is None:
            message = self._bad_values(results)
        if message is None:
            return results
        if self.on_error == 'raise':
            raise BadInputError(message)
        self.num_skipped += 1
        print_log(f'{message}; skipped', logger='current', level=logging.WARNING)
        return None

    def _bad_values(self, results: Dict) -> Optional[str]:
        values = np.unique(results['gt_seg_map'])
        bad = values[((values < 0) | (values >= self.num_classes)) & (values != self.ignore_index)]
        if bad.size == 0:
            return None
        shown = ', '.join(str(v) for v in bad[:10].tolist()) + (', ...' if bad.size > 10 else '')
        return (f'label file {results.get("seg_map_path", "<unknown>")} has values '
                f'[{shown}] outside the classes 0..{self.num_classes - 1} and the '
                f'ignore index {self.ignore_index}')

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_classes={self.num_classes}, '
                f'ignore_index={self.ignore_index}, on_error={self.on_error!r}, '
                f'check_size={self.check_size})')


def label_size_mismatch(results: Dict) -> Optional[str]:
    """The message for a label map whose size differs from its image's, else None.

    Args:
        results (dict): Pipeline results with ``img`` and ``gt_seg_map`` (and their
            ``img_path`` / ``seg_map_path`` for the message).
    """
    if 'img' not in results or 'gt_seg_map' not in results:
        return None
    image, label = results['img'].shape[:2], results['gt_seg_map'].shape[:2]
    if tuple(image) == tuple(label):
        return None
    return (f'label file {results.get("seg_map_path", "<unknown>")} is {label[0]}x{label[1]} '
            f'(height x width) but its image {results.get("img_path", "<unknown>")} is '
            f'{image[0]}x{image[1]}: the two files do not belong together (or one was resized)')


def _spelling(name: str) -> str:
    """'Dining table', 'diningtable' and 'tv/monitor', 'tvmonitor' compare equal."""
    return ''.join(c for c in name.lower() if c.isalnum())


def check_class_definitions(class_defs: Sequence[str], dataset_classes: Sequence[str],
                            class_defs_name: str = 'class definitions',
                            dataset_name: str = 'dataset',
                            spelling_insensitive: bool = False) -> None:
    """Raise unless two class lists are equal, in the same order.

    Args:
        class_defs (Sequence[str]): Class names of the text side (decoder vocabulary,
            guidance concepts), e.g. ``load_class_definitions(...).names``.
        dataset_classes (Sequence[str]): ``dataset.metainfo['classes']``.
        class_defs_name (str): How to call the first list in the message (its file).
        dataset_name (str): How to call the second list in the message.
        spelling_insensitive (bool): Compare names ignoring case, spaces and
            punctuation (the VOC devkit's 'diningtable' is the dataset's 'dining table').

    Raises:
        BadInputError: Naming the classes only in one list, or the first position
            where the order differs (label ``i`` must mean class ``i`` in both).
    """
    ours, theirs = [str(c) for c in class_defs], [str(c) for c in dataset_classes]
    if ours == theirs or (spelling_insensitive and len(ours) == len(theirs) and all(
            _spelling(a) == _spelling(b) for a, b in zip(ours, theirs))):
        return
    problems = []
    if len(ours) != len(theirs):
        problems.append(f'{len(ours)} classes in {class_defs_name}, {len(theirs)} in '
                        f'{dataset_name}')
    only_ours = [c for c in ours if c not in theirs]
    only_theirs = [c for c in theirs if c not in ours]
    if only_ours:
        problems.append(f'only in {class_defs_name}: {only_ours}')
    if only_theirs:
        problems.append(f'only in {dataset_name}: {only_theirs}')
    if not only_ours and not only_theirs:
        index = next(i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b)
        problems.append(f'same classes in another order: index {index} is {ours[index]!r} '
                        f'in {class_defs_name} but {theirs[index]!r} in {dataset_name}')
    raise BadInputError(f'{class_defs_name} do not match the classes of {dataset_name}: ' +
                        '; '.join(problems))


def check_crop_size(crop_size: Sequence[int], patch_size: int, min_patches: int = 2,
                    pads_to_patch_grid: bool = False) -> None:
    """Check a training crop against the ViT's patch grid.

    The CLIP backbone resizes its positional embedding to any grid, so no crop is
    too large; but a side that is not a multiple of the patch size loses its last
    ``side % patch`` pixels in the strided patch embedding (predictions there are
    extrapolated), and a side of fewer than ``min_patches`` patches leaves the
    decoder nothing to upsample. A backbone that pads its input up to the patch grid
    (``pads_to_patch_grid``, e.g. the EVA02 trunk: 512 -> 518 at patch 14) loses no
    pixel, so only the minimum applies.

    Args:
        crop_size (Sequence[int]): (H, W) of the training crop.
        patch_size (int): The backbone's patch size.
        min_patches (int): Fewest patches per side. Defaults to 2.
        pads_to_patch_grid (bool): The backbone pads any side to a multiple of the
            patch size. Defaults to False.

    Raises:
        BadInputError: Naming the offending side and the nearest valid sizes.
    """
    for name, side in zip(('height', 'width'), crop_size):
        if side < min_patches * patch_size:
            raise BadInputError(f'crop {name} {side} px is below {min_patches} patches of '
                                f'{patch_size} px; use at least {min_patches * patch_size}')
        if side % patch_size and not pads_to_patch_grid:
            lower = side // patch_size * patch_size
            raise BadInputError(f'crop {name} {side} px is not a multiple of the patch size '
                                f'{patch_size}; use {lower} or {lower + patch_size}')


def bind_dataset_classes(pipeline, num_classes: int) -> None:
    """Give every ``CheckLabelValues(num_classes=None)`` of ``pipeline`` the dataset's count.

    Args:
        pipeline: A dataset's ``Compose`` (``.transforms``) or list of transforms.
        num_classes (int): ``len(dataset.metainfo['classes'])``.
    """
    for transform in getattr(pipeline, 'transforms', pipeline):
        if isinstance(transform, CheckLabelValues) and transform.num_classes is None:
            transform.num_classes = num_classes
