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

    This is both of SemiVL's unlabeled losses (facts file, "Training step"):

    * consistency (UniMatch), ``threshold=0.95, normalizer='valid'``: the sum over
      confident valid pixels divided by the number of *valid* pixels;
    * dense CLIP guidance, ``threshold=0.9, normalizer='all'``: divided by *all* pixels.

    Unconfident pixels count in the denominator on purpose: the loss then shrinks as
    pseudo-labels get less certain instead of re-weighting the few confident ones.

    Args:
        threshold (float): Minimum confidence for a pixel to contribute.
        normalizer (str): ``'valid'`` divides by the number of valid pixels,
            ``'all'`` by the number of pixels.
        loss_weight (float): Multiplier of the loss.
        ignore_index (int): Label value that never contributes (padding, void).
    """

    def __init__(self,
                 threshold: float = 0.95,
                 normalizer: str = 'valid',
                 loss_weight: float = 1.0,
                 ignore_index: int = 255) -> None:
        super().__init__()
        if normalizer not in ('valid', 'all'):
            raise ValueError(f"normalizer must be 'valid' or 'all', got {normalizer!r}")
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f'threshold must lie in [0, 1], got {threshold}')
        self.threshold = threshold
        self.normalizer = normalizer
        self.loss_weight = loss_weight
        self.ignore_index = ignore_index

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
            Tensor: Scalar loss; exactly 0 (never NaN) when no pixel is confident.
        """
        target_valid = target != self.ignore_index
        valid = target_valid if valid is None else valid.bool() & target_valid
        # fp32 CE: bf16 log-softmax over many classes loses the small terms.
        ce = F.cross_entropy(logits.float(), target.long(), ignore_index=self.ignore_index,
                             reduction='none')
        keep = valid & (confidence >= self.threshold)
        denominator = valid.sum() if self.normalizer == 'valid' else torch.tensor(
            target.numel(), device=target.device)
        loss = (ce * keep).sum() / denominator.clamp(min=1)
        return self.loss_weight * loss
