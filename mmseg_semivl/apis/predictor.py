"""Batched inference of image files with any MMSeg segmentor."""
from __future__ import annotations

import copy
import math
from collections import defaultdict
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.config import ConfigDict
from mmengine.dataset import Compose
from mmseg.models import BaseSegmentor
from mmseg.registry import TRANSFORMS

from ..utils.sizes import Size, size_pair
from .image_io import read_image

#: Transforms that load labels; inference has none.
ANNOTATION_LOADERS = ('LoadAnnotations', 'LoadOptionalAnnotations')
#: Default sliding-window stride as a fraction of the crop (MMSeg's usual 2/3 overlap rule).
DEFAULT_STRIDE_FRACTION = 2 / 3
#: Output pixels whose class scores are upsampled at once (one tile of rows): the
#: full-resolution float scores (classes x 4 bytes per pixel) are never held whole.
DEFAULT_TILE_PIXELS = 1 << 20
ON_BAD_IMAGE = ('raise', 'skip')


def inference_pipeline(test_pipeline: Sequence[dict]) -> Compose:
    """A config's test pipeline for in-memory images and no labels.

    The loading step becomes ``LoadImageFromNDArray`` (images are read once, by
    :func:`read_image`, which names unreadable files) and label loading is removed.
    """
    steps = [copy.deepcopy(dict(t)) for t in test_pipeline
             if t.get('type') not in ANNOTATION_LOADERS]
    if not steps or 'LoadImage' not in steps[0].get('type', ''):
        raise ValueError('the test pipeline must start with an image loading transform, got '
                         f"{[t.get('type') for t in test_pipeline]}")
    steps[0] = dict(type='LoadImageFromNDArray')
    # Built from MMSeg's registry: no default scope is needed outside a runner.
    return Compose([TRANSFORMS.build(step) for step in steps])


def configure_test_cfg(model: BaseSegmentor,
                       mode: Optional[str] = None,
                       crop_size: Optional[Size] = None,
                       stride: Optional[Size] = None) -> ConfigDict:
    """Override the model's whole / sliding-window inference settings.

    Args:
        model (BaseSegmentor): Model whose ``test_cfg`` is updated in place.
        mode (str, optional): 'whole' or 'slide'; None keeps the config's.
        crop_size (int | tuple[int, int], optional): Window (height, width).
        stride (int | tuple[int, int], optional): Window step; default 2/3 of the
            crop when only the crop is given.

    Returns:
        ConfigDict: The resulting ``test_cfg``.
    """
    cfg = ConfigDict(copy.deepcopy(dict(model.test_cfg or {})))
    if mode is not None:
        if mode not in ('whole', 'slide'):
            raise ValueError(f"mode must be 'whole' or 'slide', got {mode!r}")
        cfg.mode = mode
    cfg.setdefault('mode', 'whole')
    if crop_size is not None:
        cfg.crop_size = size_pair(crop_size, 'crop_size')
        if stride is None:
            stride = tuple(max(1, math.ceil(c * DEFAULT_STRIDE_FRACTION)) for c in cfg.crop_size)
    if stride is not None:
        cfg.stride = size_pair(stride, 'stride')
    if cfg.mode == 'slide' and ('crop_size' not in cfg or 'stride' not in cfg):
        raise ValueError('sliding-window inference needs a crop size (--crop-size); the '
                         'config test_cfg has none')
    patch = backbone_patch_size(model)
    if cfg.mode == 'slide' and patch is not None and min(cfg.crop_size) < patch:
        # The ViT's strided patch embedding would return an empty grid (a raw torch error).
        raise ValueError(f'sliding window {tuple(cfg.crop_size)} is smaller than the '
                         f'backbone patch size {patch}; use --crop-size of at least {patch} '
                         f'(a multiple of {patch} loses no border pixels)')
    model.test_cfg = cfg
    return cfg


def backbone_patch_size(model: torch.nn.Module) -> Optional[int]:
    """Patch size of the first ViT (``patch_size`` attribute) inside ``model``, or None."""
    if not isinstance(model, torch.nn.Module):
        return None  # a stand-in with only a test_cfg
    for module in model.modules():
        patch = getattr(module, 'patch_size', None)
        if isinstance(patch, int) and patch > 0:
            return patch
    return None


class LabelBands:
    """A full-size label map produced on demand, one band of rows at a time.

    What :func:`predict_files` yields with ``stream=True``: iterating gives
    ``(top, labels[top:top + n])`` bands in order, each computed from the low-resolution
    scores when asked for, so the (H, W) map never exists whole (1 byte per pixel less
    for a writer that streams, see :class:`~mmseg_semivl.apis.PredictionWriter`).

    Args:
        logits (Tensor): (C, h, w) class scores.
        size (tuple[int, int]): Output (H, W).
        align_corners (bool): As the model's ``align_corners``.
        threshold (float, optional): Binary threshold when C == 1.
        tile_pixels (int): Output pixels per band (rows are never split).
    """

    def __init__(self, logits: torch.Tensor, size: Tuple[int, int], align_corners: bool = False,
                 threshold: Optional[float] = None,
                 tile_pixels: int = DEFAULT_TILE_PIXELS) -> None:
        if tile_pixels < 1:
            raise ValueError(f'tile_pixels must be >= 1, got {tile_pixels}')
        self.logits = logits
        self.shape = (int(size[0]), int(size[1]))
        self.align_corners = align_corners
        self.threshold = threshold
        self.rows = max(1, tile_pixels // max(self.shape[1], 1))
        num_classes = logits.shape[0]
        self.dtype = np.dtype(np.uint8 if num_classes <= 256 else
                              np.uint16 if num_classes <= 65536 else np.int32)

    def __iter__(self) -> Iterator[Tuple[int, np.ndarray]]:
        num_classes, in_h, in_w = self.logits.shape
        out_h, out_w = self.shape
        logits = self.logits.float()[None]
        xs = _grid_coords(out_w, in_w, self.align_corners, logits.device)
        ys_all = _grid_coords(out_h, in_h, self.align_corners, logits.device)
        for top in range(0, out_h, self.rows):
            ys = ys_all[top:top + self.rows]
            grid = torch.stack(torch.broadcast_tensors(xs[None, :], ys[:, None]), dim=-1)
            tile = torch.nn.functional.grid_sample(logits, grid[None], mode='bilinear',
                                                   padding_mode='border',
                                                   align_corners=self.align_corners)[0]
            if num_classes > 1:
                band = tile.argmax(dim=0)
            else:
                band = tile[0].sigmoid() > (0.3 if self.threshold is None else self.threshold)
            yield top, band.cpu().numpy().astype(self.dtype)

    def to_array(self) -> np.ndarray:
        """The whole (H, W) label map."""
        labels = np.empty(self.shape, dtype=self.dtype)
        for top, band in self:
            labels[top:top + len(band)] = band
        return labels


def upsample_labels(logits: torch.Tensor,
                    size: Tuple[int, int],
                    align_corners: bool = False,
                    threshold: Optional[float] = None,
                    tile_pixels: int = DEFAULT_TILE_PIXELS) -> np.ndarray:
    """Class map at ``size`` from low-resolution class scores, one tile of rows at a time.

    The same bilinear resize as MMSeg's ``postprocess_result`` (``F.interpolate``, here
    through ``grid_sample`` on each tile's output coordinates) followed by the argmax
    (or ``sigmoid > threshold`` for one class); only ``tile_pixels`` output pixels of
    scores exist at any time.

    Args:
        logits (Tensor): (C, h, w) class scores.
        size (tuple[int, int]): Output (H, W).
        align_corners (bool): As the model's ``align_corners``.
        threshold (float, optional): Binary threshold when C == 1.
        tile_pixels (int): Output pixels per tile (rows are never split).

    Returns:
        np.ndarray: (H, W) labels; uint8 below 256 classes, else uint16 / int32.
    """
    return LabelBands(logits, size, align_corners, threshold, tile_pixels).to_array()


def _grid_coords(out_size: int, in_size: int, align_corners: bool,
                 device: torch.device) -> torch.Tensor:
    """``grid_sample`` coordinates of ``F.interpolate``'s bilinear sources, per output index."""
    index = torch.arange(out_size, dtype=torch.float64, device=device)
    if align_corners:
        if in_size == 1:  # every output samples the single input pixel
            return torch.zeros(out_size, dtype=torch.float32, device=device)
        if out_size == 1:  # F.interpolate's scale is 0: the first input pixel
            return torch.full((1, ), -1.0, dtype=torch.float32, device=device)
        source = index * (in_size - 1) / (out_size - 1)
        return (2 * source / (in_size - 1) - 1).float()
    # F.interpolate: src = (dst + 0.5) * in / out - 0.5, clamped at 0 (border padding
    # clamps both ends the same way).
    source = ((index + 0.5) * in_size / out_size - 0.5).clamp(min=0)
    return ((2 * source + 1) / in_size - 1).float()


@torch.no_grad()
def predict_files(model: BaseSegmentor,
                  paths: Sequence[str],
                  pipeline: Compose,
                  batch_size: int = 1,
                  tile_pixels: int = DEFAULT_TILE_PIXELS,
                  on_bad_image: str = 'raise',
                  skipped: Optional[List[Tuple[str, str]]] = None,
                  stream: bool = False,
                  max_image_bytes: Optional[int] = None
                  ) -> Iterator[Tuple[str, np.ndarray, Union[np.ndarray, 'LabelBands']]]:
    """Segment image files in batches, in order.

    Images of a batch that the pipeline brings to different sizes run as separate
    sub-batches (MMSeg's test-time preprocessing stacks equal sizes only).

    Memory: the model returns class scores at the pipeline's resolution (``ori_shape``
    is set to the resized shape); :func:`upsample_labels` brings them to the file's size
    tile by tile, so a huge photo costs its decoded image (3 bytes per pixel) and its
    labels (1 byte per pixel below 256 classes), not the classes x 4 bytes per pixel of
    full-resolution scores.

    Args:
        model (BaseSegmentor): Segmentor in eval mode (its ``test_step`` is used).
        paths (Sequence[str]): Image files.
        pipeline (Compose): From :func:`inference_pipeline`.
        batch_size (int): Images per forward pass.
        tile_pixels (int): Output pixels upsampled at once.
        on_bad_image (str): ``'raise'`` (default) stops at an unreadable image;
            ``'skip'`` leaves it out and appends ``(path, message)`` to ``skipped``.
        skipped (list, optional): Receives the skipped images.
        stream (bool): Yield :class:`LabelBands` (computed band by band when iterated)
            instead of whole label maps; with a streaming writer the only full-size
            array is then the decoded image.
        max_image_bytes (int, optional): Refuse (or skip) an image whose decoded size
            (3 bytes per pixel, read from the header) exceeds this.

    Yields:
        tuple[str, np.ndarray, np.ndarray | LabelBands]: The path, the (H, W, 3) RGB
        image and its (H, W) label map (uint8 below 256 classes), H and W being the
        file's size.
    """
    if batch_size < 1:
        raise ValueError(f'batch_size must be >= 1, got {batch_size}')
    if on_bad_image not in ON_BAD_IMAGE:
        raise ValueError(f'on_bad_image must be one of {ON_BAD_IMAGE}, got {on_bad_image!r}')
    align_corners = bool(getattr(model, 'align_corners', False))
    threshold = getattr(getattr(model, 'decode_head', None), 'threshold', None)
    for start in range(0, len(paths), batch_size):
        chunk, images = [], []
        for path in paths[start:start + batch_size]:
            try:
                images.append(read_image(path, max_image_bytes))
            except ValueError as err:
                if on_bad_image == 'raise':
                    raise
                if skipped is not None:
                    skipped.append((path, str(err)))
                continue
            chunk.append(path)
        packed = [pipeline(dict(img=image, img_path=path)) for image, path in zip(images, chunk)]
        for sample in packed:
            # Scores at the model's resolution; upsample_labels does the rest by tiles.
            meta = sample['data_samples'].metainfo
            sample['data_samples'].set_metainfo(dict(ori_shape=tuple(meta['img_shape'][:2])))
        groups: Dict[tuple, List[int]] = defaultdict(list)
        for index, sample in enumerate(packed):
            groups[tuple(sample['inputs'].shape)].append(index)
        logits: Dict[int, torch.Tensor] = {}
        for indices in groups.values():
            results = model.test_step(
                dict(inputs=[packed[i]['inputs'] for i in indices],
                     data_samples=[packed[i]['data_samples'] for i in indices]))
            for index, result in zip(indices, results):
                logits[index] = result.seg_logits.data
        for index, (path, image) in enumerate(zip(chunk, images)):
            labels = LabelBands(logits.pop(index), image.shape[:2], align_corners, threshold,
                                tile_pixels)
            labels = labels if stream else labels.to_array()
            yield path, image[..., ::-1], labels
