"""Sample mixers of consistency training: CutMix boxes (UniMatch/SemiVL), ClassMix (DACS).

A mixer answers two questions with one interface, so a segmentor's step does not depend
on the mixing strategy:

* ``mask(view, samples, partner)`` -> (B, H, W) bool: where view ``view`` (1-based)
  takes the partner's pixels;
* ``mix(own, partner, mask)`` -> the same dict with every tensor (images (B, C, H, W),
  pseudo-labels, confidences, validity (B, H, W), ...) mixed by that one mask, so
  images and every per-pixel target stay aligned.
"""
from __future__ import annotations

from typing import Dict, List, Optional

import torch
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from torch import Tensor

from .box_mix import box_mix


class BaseMixer:
    """Mixes each unlabeled sample with its partner by a per-sample pixel mask."""

    def mask(self, view: int, samples: List[SegDataSample],
             partner: Dict[str, Tensor]) -> Tensor:
        """The (B, H, W) bool mask of view ``view``: True takes the partner's pixel."""
        raise NotImplementedError

    def mix(self, own: Dict[str, Tensor], partner: Dict[str, Tensor],
            mask: Tensor) -> Dict[str, Tensor]:
        """Mix every tensor of ``own`` with the same key of ``partner`` by ``mask``.

        Args:
            own (dict[str, Tensor]): Batch-first tensors, (B, C, H, W) or (B, H, W).
            partner (dict[str, Tensor]): The partners' tensors, same keys and shapes.
            mask (Tensor): (B, H, W), non-zero where the partner's pixel is taken.

        Returns:
            dict[str, Tensor]: Mixed tensors, same keys, shapes and dtypes as ``own``.
        """
        return {k: box_mix(v, partner[k], mask) for k, v in own.items()}


@MODELS.register_module()
class CutMixBoxMixer(BaseMixer):
    """CutMix with the boxes drawn by the pipeline (``GenerateCutMixBox``).

    The box of view i is the data samples' ``cutmix_box{i}`` field, so the boxes are
    part of the data (reproducible, visible to dataset checks), as in UniMatch.

    Args:
        box_key (str): Field name of view i's box, formatted with i (1-based).
            Default: 'cutmix_box{}' (what ``PackSemiInputs`` packs).
    """

    def __init__(self, box_key: str = 'cutmix_box{}') -> None:
        self.box_key = box_key

    def mask(self, view: int, samples: List[SegDataSample],
             partner: Optional[Dict[str, Tensor]] = None) -> Tensor:
        field = self.box_key.format(view)
        try:
            return torch.stack([getattr(s, field).data.squeeze(0) for s in samples]).bool()
        except AttributeError as err:
            raise KeyError(f'unlabeled data samples lack the field {field!r}; the unlabeled '
                           'pipeline needs GenerateCutMixBox with one box per strong view '
                           'and PackSemiInputs(branch="unlabeled")') from err


@MODELS.register_module()
class ClassMixMasker(BaseMixer):
    """ClassMix (DACS): paste the pixels of half of the partner's classes.

    For every sample, ``(n + n % 2) / 2`` of the ``n`` candidate classes are drawn
    without replacement; the mask is the partner label's pixels of those classes.
    With ``classes_from='batch'`` the candidates are ``torch.unique`` over the whole
    batch of partner labels, as DACS/DAFormer's ``get_class_masks`` (a quirk: a class
    absent from a sample can be drawn and then adds no pixel); ``'sample'`` uses the
    sample's own classes.

    Args:
        label_key (str): Key of the partner's (B, H, W) label map in the tensors passed
            to :meth:`mask` (the pseudo-label, or the source ground truth in DACS).
            Default: 'label'.
        classes_from (str): ``'batch'`` (DACS) or ``'sample'``. Default: 'batch'.
        ignore_index (int, optional): A label value never drawn (DACS draws 255 too,
            which selects ignored pixels). Default: None (DACS).
    """

    def __init__(self, label_key: str = 'label', classes_from: str = 'batch',
                 ignore_index: Optional[int] = None) -> None:
        if classes_from not in ('batch', 'sample'):
            raise ValueError(f"classes_from must be 'batch' or 'sample', got {classes_from!r}")
        self.label_key = label_key
        self.classes_from = classes_from
        self.ignore_index = ignore_index

    def mask(self, view: int, samples: Optional[List[SegDataSample]],
             partner: Dict[str, Tensor]) -> Tensor:
        if self.label_key not in partner:
            raise KeyError(f'ClassMixMasker needs the partner label {self.label_key!r}; '
                           f'got {sorted(partner)}')
        return self.mask_from_labels(partner[self.label_key])

    @torch.no_grad()
    def mask_from_labels(self, labels: Tensor) -> Tensor:
        """(B, H, W) bool masks of randomly drawn classes of ``labels`` (B, H, W) long."""
        masks = []
        batch_classes = self._candidates(labels)
        for label in labels:
            classes = batch_classes if self.classes_from == 'batch' else self._candidates(label)
            num = classes.numel()
            chosen = classes[torch.randperm(num, device=classes.device)[:(num + num % 2) // 2]]
            masks.append(torch.isin(label, chosen))
        return torch.stack(masks)

    def _candidates(self, labels: Tensor) -> Tensor:
        classes = torch.unique(labels)
        if self.ignore_index is not None:
            classes = classes[classes != self.ignore_index]
        return classes
