"""Packing of the unlabeled target stream of domain adaptation."""
from __future__ import annotations

from typing import Dict, Optional, Sequence

import torch
from mmseg.registry import TRANSFORMS
from mmseg.structures import SegDataSample

from .transforms.formatting import DEFAULT_META_KEYS, LABELED, UNLABELED, WEAK, PackSemiInputs
from .transforms.valid_mask import VALID_MASK_KEY


@TRANSFORMS.register_module()
class PackTargetInputs(PackSemiInputs):
    """Pack a target image for UDA: the ``weak`` branch only, no strong views or boxes.

    DAFormer-style methods augment the target on the GPU (colour jitter, blur, ClassMix)
    inside the method, so the pipeline delivers just the geometrically augmented image.
    The keys are those of :class:`PackSemiInputs` (``strong{i}`` present as ``None``) so
    that target samples collate with labeled source samples packed by
    ``PackSemiInputs(branch='labeled')``; ``SemiSegDataPreProcessor`` drops the empty
    branches. ``data_samples['unlabeled']`` carries ``valid_mask`` (add
    ``AddValidMask`` before the geometric transforms) and ``gt_sem_seg`` when a label was
    loaded (only for logging pseudo-label quality).

    Args:
        num_strong_views (int): Strong branches of the source packer (key layout only).
            Defaults to 2.
        meta_keys (Sequence[str]): Metainfo keys. Defaults to MMSeg's.
    """

    def __init__(self, num_strong_views: int = 2,
                 meta_keys: Sequence[str] = DEFAULT_META_KEYS) -> None:
        super().__init__(branch=UNLABELED, num_strong_views=num_strong_views,
                         meta_keys=meta_keys)

    def transform(self, results: dict) -> dict:
        """Pack ``results``.

        Returns:
            dict: ``{'inputs': {'weak': uint8 (3, H, W), others None},
            'data_samples': {'labeled': None, 'unlabeled': SegDataSample}}``.
        """
        if 'img' not in results:
            raise KeyError('PackTargetInputs needs results["img"].')
        packed = self._pack_seg.transform(results)
        data_sample: SegDataSample = packed['data_samples']
        data_sample.valid_mask = self._mask_to_pixel_data(
            self._required(results, VALID_MASK_KEY, 'AddValidMask'))
        inputs: Dict[str, Optional[torch.Tensor]] = dict.fromkeys(self.input_branches)
        inputs[WEAK] = packed['inputs']
        return {'inputs': inputs, 'data_samples': {LABELED: None, UNLABELED: data_sample}}

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_strong_views={self.num_strong_views}, '
                f'meta_keys={self.meta_keys})')
