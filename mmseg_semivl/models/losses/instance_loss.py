"""DIDA's instance-level similarity distribution and loss (seed 003).

For a target embedding e_t and the K bank entries e_k (unit vectors)::

    q_k = exp(e_t . e_k / tp) / sum_j exp(e_t . e_j / tp)          (tp = 0.1)

over the *filled* entries only (empty slots get probability 0); tp -> 0 is the argmax
(one-hot on the most similar entry, the supplement's "tp = 0"). The instance loss is the
cross-entropy of the student's distribution (strong / mixed view) against the instance
target (the teacher's weak-view distribution, fused with the semantic level), per pixel
weighted and averaged over all pixels like the semantic loss.
"""
from __future__ import annotations

from typing import Optional

import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import Tensor

#: Logit given to empty bank slots (finite, so 0 x log q stays 0, never NaN).
MASKED_LOGIT = -1e4


def _masked_logits(sim: Tensor, temperature: float, entry_mask: Optional[Tensor]) -> Tensor:
    logits = sim.float() / temperature
    if entry_mask is not None:
        logits = logits.masked_fill(~entry_mask.view(1, -1, *([1] * (sim.dim() - 2))),
                                    MASKED_LOGIT)
    return logits


def similarity_distribution(sim: Tensor, temperature: float = 0.1,
                            entry_mask: Optional[Tensor] = None) -> Tensor:
    """softmax(sim / tp) over the K entries (dim 1); tp = 0 gives the one-hot argmax.

    Args:
        sim (Tensor): (B, K, ...) dot products e_t . e_k.
        temperature (float): tp >= 0. Default: 0.1.
        entry_mask (Tensor, optional): (K,) bool, the filled entries; the others get
            probability 0. Where no entry is filled the distribution is all zeros.

    Returns:
        Tensor: (B, K, ...) float32, summing to 1 over K (0 without filled entries).
    """
    if temperature < 0:
        raise ValueError(f'temperature must be >= 0, got {temperature}')
    if temperature == 0:
        logits = _masked_logits(sim, 1.0, entry_mask)
        dist = F.one_hot(logits.argmax(1), sim.shape[1]).movedim(-1, 1).float()
    else:
        dist = _masked_logits(sim, temperature, entry_mask).softmax(dim=1)
    if entry_mask is not None:
        # Masked entries are exactly 0; with no filled entry at all everything is 0.
        dist = dist * entry_mask.view(1, -1, *([1] * (sim.dim() - 2))).float()
    return dist


def instance_loss(sim: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                  temperature: float = 0.1, entry_mask: Optional[Tensor] = None) -> Tensor:
    """Cross-entropy -sum_k target_k log q_k of the student's distribution, mean over pixels.

    Args:
        sim (Tensor): (B, K, h, w) the student's dot products (with gradients).
        target (Tensor): (B, K, h, w) instance targets (no gradients; rows sum to 1, or 0
            where a pixel has no target).
        weight (Tensor, optional): (B, h, w) per-pixel weight. Default: 1.
        temperature (float): tp > 0. Default: 0.1.
        entry_mask (Tensor, optional): (K,) bool, the filled entries.

    Returns:
        Tensor: Scalar, ``mean over all pixels of weight x CE`` (as the semantic loss).
    """
    if temperature <= 0:
        raise ValueError(f'the instance loss needs temperature > 0, got {temperature}')
    log_q = _masked_logits(sim, temperature, entry_mask).log_softmax(dim=1)
    ce = -(target.detach().float() * log_q).sum(dim=1)  # (B, h, w)
    if weight is not None:
        ce = ce * weight
    return ce.mean()


@MODELS.register_module()
class InstanceSimilarityLoss(nn.Module):
    """The instance loss L_ins x lambda (the paper's best lambda: 1.0).

    Args:
        loss_weight (float): lambda. Default: 1.0.
        temperature (float): tp of the student's distribution. Default: 0.1.
    """

    def __init__(self, loss_weight: float = 1.0, temperature: float = 0.1) -> None:
        super().__init__()
        if temperature <= 0:
            raise ValueError(f'temperature must be > 0 for the loss, got {temperature}')
        self.loss_weight = loss_weight
        self.temperature = temperature

    def forward(self, sim: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                entry_mask: Optional[Tensor] = None) -> Tensor:
        """lambda x :func:`instance_loss` (shapes as there)."""
        return self.loss_weight * instance_loss(sim, target, weight, self.temperature,
                                                entry_mask)


__all__ = ['InstanceSimilarityLoss', 'instance_loss', 'similarity_distribution',
           'MASKED_LOGIT']
