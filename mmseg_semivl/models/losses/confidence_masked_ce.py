"""Cross-entropy to hard pseudo-labels, restricted to confident, valid pixels."""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class ConfidenceMaskedCrossEntropy(nn.Module):
    """Pixel-wise CE to pseudo-labels where their confidence reaches a threshold.

    This is both of SemiVL's unlabeled losses (docs/reference.md, "Training step"):

    * consistency (UniMatch), ``threshold=0.95, normalizer='valid'``: the sum over
      confident valid pixels divided by the number of *valid* pixels;
    * dense CLIP guidance, ``threshold=0.9, normalizer='all'``: divided by *all* pixels.

    Unconfident pixels count in the denominator on purpose: the loss then shrinks as
    pseudo-labels get less certain instead of re-weighting the few confident ones.

    ``conf_mode`` selects how confidence weights the per-pixel CE (the reference's
    ``confidence_weighted_loss`` in ``utils/train_utils.py``):

    * ``'pixelwise'`` (default; VOC, COCO, ADE20K): weight 1 where the confidence
      reaches ``threshold``, else 0.
    * ``'pixelavg'`` (the reference's Cityscapes setting): every valid pixel of image b
      contributes, weighted by the mean confidence of b's valid pixels; ``threshold``
      is unused. Low-confidence pixels still give gradient, but a whole uncertain image
      counts less.
    * ``'pixelratio'``: every valid pixel of image b contributes, weighted by the
      fraction of b's valid pixels whose confidence reaches ``threshold``.

    The numerator is always divided by ``normalizer``'s pixel count of the batch.

    Args:
        threshold (float): Minimum confidence for a pixel to contribute
            (``'pixelwise'``) or to count as confident (``'pixelratio'``).
        normalizer (str): ``'valid'`` divides by the number of valid pixels,
            ``'all'`` by the number of pixels.
        loss_weight (float): Multiplier of the loss.
        ignore_index (int): Label value that never contributes (padding, void).
        conf_mode (str): ``'pixelwise'``, ``'pixelavg'`` or ``'pixelratio'`` (see
            above). Default: ``'pixelwise'``.
    """

    CONF_MODES = ('pixelwise', 'pixelavg', 'pixelratio')

    def __init__(self,
                 threshold: float = 0.95,
                 normalizer: str = 'valid',
                 loss_weight: float = 1.0,
                 ignore_index: int = 255,
                 conf_mode: str = 'pixelwise') -> None:
        super().__init__()
        if conf_mode not in self.CONF_MODES:
            raise ValueError(f'conf_mode must be one of {self.CONF_MODES}, got {conf_mode!r}')
        if normalizer not in ('valid', 'all'):
            raise ValueError(f"normalizer must be 'valid' or 'all', got {normalizer!r}")
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f'threshold must lie in [0, 1], got {threshold}')
        self.threshold = threshold
        self.normalizer = normalizer
        self.loss_weight = loss_weight
        self.ignore_index = ignore_index
        self.conf_mode = conf_mode

    def forward(self,
                logits: Tensor,
                target: Tensor,
                confidence: Tensor,
                valid: Optional[Tensor] = None) -> Tensor:
        """Compute the loss.

        Args:
            logits (Tensor): Predictions, (B, C, H, W).
            target (Tensor): Pseudo-labels, (B, H, W) long; ``ignore_index`` allowed.
            confidence (Tensor): Confidence of each pseudo-label, (B, H, W).
            valid (Tensor, optional): (B, H, W) bool, False on padding. Defaults to
                all pixels whose target is not ``ignore_index``.

        Returns:
            Tensor: Scalar loss; exactly 0 (never NaN) when no pixel carries weight
            (none confident, none valid).
        """
        target_valid = target != self.ignore_index
        valid = target_valid if valid is None else valid.bool() & target_valid
        # fp32 CE: bf16 log-softmax over many classes loses the small terms.
        ce = F.cross_entropy(logits.float(), target.long(), ignore_index=self.ignore_index,
                             reduction='none')
        # The confidence only weights the loss: no gradient flows into it.
        weight = self._pixel_weights(confidence.detach().float(), valid)
        denominator = valid.sum() if self.normalizer == 'valid' else torch.tensor(
            target.numel(), device=target.device)
        loss = (ce * weight).sum() / denominator.clamp(min=1)
        return self.loss_weight * loss

    def _pixel_weights(self, confidence: Tensor, valid: Tensor) -> Tensor:
        """(B, H, W) weight of each pixel's CE; exactly 0 on invalid pixels."""
        confident = valid & (confidence >= self.threshold)
        if self.conf_mode == 'pixelwise':
            return confident.float()
        per_image = dict(dim=(1, 2), keepdim=True)
        # An image without valid pixels has no CE to weight: clamp, do not divide by 0.
        num_valid = valid.sum(**per_image).clamp(min=1)
        if self.conf_mode == 'pixelavg':
            image_weight = (confidence * valid).sum(**per_image) / num_valid
        else:  # 'pixelratio'
            image_weight = confident.sum(**per_image) / num_valid
        return image_weight * valid
