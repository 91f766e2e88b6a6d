"""Packing of labeled and unlabeled samples into the two-stream training format."""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import PixelData
from mmseg.datasets.transforms import PackSegInputs
from mmseg.registry import TRANSFORMS
from mmseg.structures import SegDataSample

from .cutmix_box import CUTMIX_BOX_KEY
from .strong_augment import STRONG_VIEW_KEY
from .valid_mask import VALID_MASK_KEY

LABELED = 'labeled'
UNLABELED = 'unlabeled'
WEAK = 'weak'
STRONG_BRANCH = 'strong{}'

DEFAULT_META_KEYS = ('img_path', 'seg_map_path', 'ori_shape', 'img_shape', 'pad_shape',
                     'scale_factor', 'flip', 'flip_direction', 'reduce_zero_label')


@TRANSFORMS.register_module()
class PackSemiInputs(BaseTransform):
    """Pack a labeled or an unlabeled sample for semi-supervised training.

    The output always holds every input branch (``labeled``, ``weak``, ``strong1`` ...
    ``strong{num_strong_views}``) and every data-sample group (``labeled``,
    ``unlabeled``); the branches a sample does not have are ``None``. This keeps the
    keys of all samples equal, which :func:`mmengine.dataset.pseudo_collate` needs to
    collate a batch that mixes both kinds (as in MMDet's ``MultiBranch``);
    ``SemiSegDataPreProcessor`` drops the ``None`` entries.

    * ``branch='labeled'``: ``inputs['labeled']`` = ``img`` as uint8 (3, H, W);
      ``data_samples['labeled']`` = ``SegDataSample`` with ``gt_sem_seg`` (1, H, W).
    * ``branch='unlabeled'``: ``inputs['weak']`` = ``img``, ``inputs['strong{i}']`` =
      ``img_strong{i}``, all uint8 (3, H, W); ``data_samples['unlabeled']`` =
      ``SegDataSample`` with uint8 (1, H, W) ``PixelData`` fields ``valid_mask``,
      ``cutmix_box{i}`` and, when ``gt_seg_map`` was loaded, ``gt_sem_seg``.

    Image conversion, ``gt_sem_seg`` and the metainfo come from MMSeg's
    :class:`PackSegInputs`, so the data samples look exactly like MMSeg's.

    Args:
        branch (str): ``'labeled'`` or ``'unlabeled'``.
        num_strong_views (int): Number of strong views of unlabeled samples; must be the
            same in the labeled and unlabeled pipelines. Defaults to 2.
        meta_keys (Sequence[str]): Metainfo keys copied from ``results``.
            Defaults to MMSeg's ``PackSegInputs`` keys.
    """

    def __init__(self,
                 branch: str = LABELED,
                 num_strong_views: int = 2,
                 meta_keys: Sequence[str] = DEFAULT_META_KEYS) -> None:
        if branch not in (LABELED, UNLABELED):
            raise ValueError(f"PackSemiInputs: branch must be '{LABELED}' or '{UNLABELED}', "
                             f'got {branch!r}')
        if num_strong_views < 1:
            raise ValueError(f'PackSemiInputs: num_strong_views must be >= 1, got '
                             f'{num_strong_views}')
        self.branch = branch
        self.num_strong_views = num_strong_views
        self.meta_keys = tuple(meta_keys)
        self._pack_seg = PackSegInputs(meta_keys=self.meta_keys)

    @property
    def input_branches(self) -> List[str]:
        """All input branch names, in the order they are packed."""
        strong = [STRONG_BRANCH.format(i + 1) for i in range(self.num_strong_views)]
        return [LABELED, WEAK, *strong]

    def _image_to_tensor(self, img: np.ndarray) -> torch.Tensor:
        """(H, W, C) array -> (C, H, W) tensor of the same dtype, via PackSegInputs."""
        return self._pack_seg.transform({'img': img})['inputs']

    @staticmethod
    def _mask_to_pixel_data(mask: np.ndarray) -> PixelData:
        return PixelData(data=torch.from_numpy(np.ascontiguousarray(mask)[None]))

    def _required(self, results: dict, key: str, producer: str) -> np.ndarray:
        """Fetch ``results[key]`` and check that it is aligned with ``img``."""
        if key not in results:
            raise KeyError(f'PackSemiInputs(branch={self.branch!r}) needs results["{key}"]; '
                           f'add {producer} to the pipeline.')
        value = results[key]
        if value.shape[:2] != results['img'].shape[:2]:
            raise ValueError(
                f'PackSemiInputs: results["{key}"] has shape {value.shape[:2]} but '
                f'results["img"] has {results["img"].shape[:2]}; a geometric transform did '
                'not update it (with RandomResize, use the mmseg default scope so that '
                "mmseg's Resize, which resizes every seg field, is built).")
        return value

    def transform(self, results: dict) -> dict:
        """Pack ``results``.

        Args:
            results (dict): Result dict of the labeled or unlabeled pipeline.

        Returns:
            dict: ``{'inputs': {branch: uint8 (3, H, W) tensor or None},
            'data_samples': {'labeled': SegDataSample or None,
            'unlabeled': SegDataSample or None}}``.
        """
        if 'img' not in results:
            raise KeyError('PackSemiInputs needs results["img"].')
        packed = self._pack_seg.transform(results)
        data_sample: SegDataSample = packed['data_samples']
        inputs: Dict[str, Optional[torch.Tensor]] = dict.fromkeys(self.input_branches)
        data_samples: Dict[str, Optional[SegDataSample]] = {LABELED: None, UNLABELED: None}

        # Unlabeled samples must carry the mask (the losses rely on it); labeled ones may.
        if self.branch == UNLABELED or VALID_MASK_KEY in results:
            data_sample.valid_mask = self._mask_to_pixel_data(
                self._required(results, VALID_MASK_KEY, 'AddValidMask'))
        if self.branch == LABELED:
            if 'gt_sem_seg' not in data_sample:
                raise KeyError('PackSemiInputs(branch="labeled") needs results["gt_seg_map"]; '
                               'add LoadAnnotations to the labeled pipeline.')
            inputs[LABELED] = packed['inputs']
            data_samples[LABELED] = data_sample
            return {'inputs': inputs, 'data_samples': data_samples}

        inputs[WEAK] = packed['inputs']
        for i in range(1, self.num_strong_views + 1):
            strong = self._required(results, STRONG_VIEW_KEY.format(i),
                                    f'StrongAugment(num_views={self.num_strong_views})')
            inputs[STRONG_BRANCH.format(i)] = self._image_to_tensor(strong)
            box_key = CUTMIX_BOX_KEY.format(i)
            box = self._required(results, box_key,
                                 f'GenerateCutMixBox(num_boxes={self.num_strong_views})')
            data_sample.set_data({box_key: self._mask_to_pixel_data(box)})
        data_samples[UNLABELED] = data_sample
        return {'inputs': inputs, 'data_samples': data_samples}

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(branch={self.branch!r}, '
                f'num_strong_views={self.num_strong_views}, meta_keys={self.meta_keys})')
