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

from .image_io import read_image

#: Transforms that load labels; inference has none.
ANNOTATION_LOADERS = ('LoadAnnotations', 'LoadOptionalAnnotations')
#: Default sliding-window stride as a fraction of the crop (MMSeg's usual 2/3 overlap rule).
DEFAULT_STRIDE_FRACTION = 2 / 3
Size = Union[int, Sequence[int]]


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


def _pair(value: Size) -> Tuple[int, int]:
    values = [value] if isinstance(value, int) else list(value)
    if len(values) == 1:
        values = values * 2
    if len(values) != 2 or min(values) <= 0:
        raise ValueError(f'expected a positive size or (height, width), got {value!r}')
    return int(values[0]), int(values[1])


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
        cfg.crop_size = _pair(crop_size)
        if stride is None:
            stride = tuple(max(1, math.ceil(c * DEFAULT_STRIDE_FRACTION)) for c in cfg.crop_size)
    if stride is not None:
        cfg.stride = _pair(stride)
    if cfg.mode == 'slide' and ('crop_size' not in cfg or 'stride' not in cfg):
        raise ValueError('sliding-window inference needs a crop size (--crop-size); the '
                         'config test_cfg has none')
    model.test_cfg = cfg
    return cfg


@torch.no_grad()
def predict_files(model: BaseSegmentor,
                  paths: Sequence[str],
                  pipeline: Compose,
                  batch_size: int = 1) -> Iterator[Tuple[str, np.ndarray, np.ndarray]]:
    """Segment image files in batches, in order.

    Images of a batch that the pipeline brings to different sizes run as separate
    sub-batches (MMSeg's test-time preprocessing stacks equal sizes only).

    Args:
        model (BaseSegmentor): Segmentor in eval mode (its ``test_step`` is used).
        paths (Sequence[str]): Image files.
        pipeline (Compose): From :func:`inference_pipeline`.
        batch_size (int): Images per forward pass.

    Yields:
        tuple[str, np.ndarray, np.ndarray]: The path, the (H, W, 3) RGB image and
        its (H, W) int64 label map, H and W being the file's size.
    """
    if batch_size < 1:
        raise ValueError(f'batch_size must be >= 1, got {batch_size}')
    for start in range(0, len(paths), batch_size):
        chunk = list(paths[start:start + batch_size])
        images = [read_image(path) for path in chunk]
        packed = [pipeline(dict(img=image, img_path=path)) for image, path in zip(images, chunk)]
        groups: Dict[tuple, List[int]] = defaultdict(list)
        for index, sample in enumerate(packed):
            groups[tuple(sample['inputs'].shape)].append(index)
        labels: Dict[int, np.ndarray] = {}
        for indices in groups.values():
            results = model.test_step(
                dict(inputs=[packed[i]['inputs'] for i in indices],
                     data_samples=[packed[i]['data_samples'] for i in indices]))
            for index, result in zip(indices, results):
                labels[index] = result.pred_sem_seg.data[0].cpu().numpy().astype(np.int64)
        for index, (path, image) in enumerate(zip(chunk, images)):
            yield path, image[..., ::-1], labels[index]
