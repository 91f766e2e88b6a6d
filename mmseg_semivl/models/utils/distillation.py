"""Parts of DUDA (distilled UDA, seed 002): the gradual-distillation schedule, the soft
distillation loss, the ensemble of teachers and the inconsistency class weights.

The paper names these elements but specifies none of them (no public code; see
``docs/deviations.md``, "DUDA: interpretations"); every choice is an argument here.
"""
from __future__ import annotations

import math
from typing import Dict, Optional, Tuple

import torch
import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import Tensor

SCHEDULE_SHAPES = ('linear', 'cosine', 'step')
DIRECTIONS = ('hard_to_soft', 'soft_to_hard')


@MODELS.register_module()
class GradualDistillationSchedule:
    """Share s_t in [0, 1] of the soft (distillation) target of the lightweight student.

    Counted from the end of the pre-adaptation stage (``t = iter - start``):
    ``progress = clip(t / ramp_iters, 0, 1)``; ``linear``: progress, ``cosine``:
    (1 - cos(pi progress)) / 2, ``step``: 1 from t = 0 on (no gradual part, the ablation).
    The soft share is ``final x f(progress)`` for ``hard_to_soft`` (start on the
    pre-adaptation's one-hot pseudo-labels, end on soft predictions) and
    ``final x (1 - f(progress))`` for ``soft_to_hard``.

    Args:
        ramp_iters (int): Iterations of the ramp. Default: 8000.
        shape (str): 'linear', 'cosine' or 'step'. Default: 'linear'.
        direction (str): 'hard_to_soft' or 'soft_to_hard'. Default: 'hard_to_soft'.
        final (float): The soft share at the end of a hard-to-soft ramp (the start of a
            soft-to-hard one). Default: 1.0.
    """

    def __init__(self, ramp_iters: int = 8000, shape: str = 'linear',
                 direction: str = 'hard_to_soft', final: float = 1.0) -> None:
        if shape not in SCHEDULE_SHAPES:
            raise ValueError(f'shape must be one of {SCHEDULE_SHAPES}, got {shape!r}')
        if direction not in DIRECTIONS:
            raise ValueError(f'direction must be one of {DIRECTIONS}, got {direction!r}')
        if shape != 'step' and ramp_iters < 1:
            raise ValueError(f'ramp_iters must be >= 1, got {ramp_iters}')
        if not 0 <= final <= 1:
            raise ValueError(f'final must lie in [0, 1], got {final}')
        self.ramp_iters = ramp_iters
        self.shape = shape
        self.direction = direction
        self.final = final

    def __call__(self, t: int) -> float:
        """Soft share at ``t`` iterations after pre-adaptation (t < 0: 0, pre-adaptation)."""
        if t < 0:
            return 0.0
        if self.shape == 'step':
            f = 1.0
        else:
            progress = min(max(t / self.ramp_iters, 0.0), 1.0)
            f = progress if self.shape == 'linear' else 0.5 * (1 - math.cos(math.pi * progress))
        return self.final * (f if self.direction == 'hard_to_soft' else 1.0 - f)


def soft_distillation_loss(logits: Tensor, soft_target: Tensor, weight: Tensor,
                           temperature: float = 1.0) -> Tensor:
    """T^2 x KL(target || softmax(logits / T)) per pixel x weight, mean over all pixels.

    Args:
        logits (Tensor): (B, N, H, W) student logits at the target's resolution.
        soft_target (Tensor): (B, N, H, W) probabilities (already at temperature T);
            an all-zero pixel (ignored) contributes 0.
        weight (Tensor): (B, H, W) per-pixel weight.
        temperature (float): T. Default: 1.0.

    Returns:
        Tensor: Scalar loss.
    """
    log_p = F.log_softmax(logits.float() / temperature, dim=1)
    target = soft_target.float()
    # KL = sum_c q_c (log q_c - log p_c); 0 log 0 = 0
    kl = (torch.xlogy(target, target) - target * log_p).sum(dim=1)
    return temperature**2 * (kl * weight).mean()


def ensemble_probs(logits: Dict[str, Tensor], weights: Dict[str, float],
                   temperature: float = 1.0) -> Tensor:
    """sum_k a_k softmax(z_k / T) / sum_k a_k over the teachers present in ``logits``."""
    total = sum(weights[k] for k in logits)
    if total <= 0:
        raise ValueError(f'teacher weights must sum to > 0, got {weights}')
    return sum(weights[k] / total * F.softmax(z.float() / temperature, dim=1)
               for k, z in logits.items())


def mix_soft_target(probs: Tensor, label: Tensor, source_mask: Tensor,
                    ignore_index: int = 255) -> Tensor:
    """The soft target of a ClassMix view: one-hot source labels where the source was
    pasted (zero where ignored), the teachers' probabilities elsewhere.

    Args:
        probs (Tensor): (B, N, H, W) teacher probabilities on the target image.
        label (Tensor): (B, H, W) mixed label (source ground truth under the mask).
        source_mask (Tensor): (B, H, W) bool, True where the source was pasted.
    """
    num_classes = probs.shape[1]
    valid = (label != ignore_index) & (label >= 0) & (label < num_classes)
    onehot = F.one_hot(torch.where(valid, label, 0), num_classes).permute(0, 3, 1, 2)
    onehot = onehot.to(probs) * valid.unsqueeze(1)
    return torch.where(source_mask.unsqueeze(1), onehot, probs)


@torch.no_grad()
def class_disagreement(pred: Tensor, label: Tensor, valid: Tensor,
                       num_classes: int) -> Tuple[Tensor, Tensor]:
    """Per class c: pixels labelled c, and those of them where ``pred`` is not c.

    Args:
        pred (Tensor): (B, H, W) long, the lightweight student's argmax.
        label (Tensor): (B, H, W) long, the heavyweight pseudo-label.
        valid (Tensor): (B, H, W) bool, pixels to count.

    Returns:
        tuple[Tensor, Tensor]: (num_classes,) float counts and disagreeing counts.
    """
    keep = valid & (label >= 0) & (label < num_classes)
    lab = label[keep]
    total = torch.bincount(lab, minlength=num_classes).float()
    wrong = torch.bincount(lab[pred[keep] != lab], minlength=num_classes).float()
    return total, wrong


def class_weights_from_rates(rates: Tensor, gamma: float = 1.0, eps: float = 0.05) -> Tensor:
    """w_c = C (r_c + eps)^gamma / sum_c (r_c + eps)^gamma (mean weight 1)."""
    raw = (rates.float() + eps).pow(gamma)
    return raw * (rates.numel() / raw.sum())


def inconsistency_loss(logits: Tensor, label: Tensor, weight: Tensor, class_weights: Tensor,
                       only_disagreeing: bool = True, ignore_index: int = 255) -> Tensor:
    """Class-weighted CE of the lightweight student to the heavyweight pseudo-label.

    loss = mean over all pixels p of weight_p x w_{y_p} x [argmax_p != y_p] x CE_p
    (without ``only_disagreeing`` the indicator is 1). Ignored pixels contribute 0.
    """
    ce = F.cross_entropy(logits.float(), label, reduction='none', ignore_index=ignore_index)
    valid = (label != ignore_index) & (label >= 0) & (label < class_weights.numel())
    w = class_weights.to(ce)[torch.where(valid, label, 0)] * valid
    if only_disagreeing:
        w = w * (logits.argmax(dim=1) != label)
    return (ce * w * weight).mean()


def build_schedule(cfg: Optional[dict]) -> GradualDistillationSchedule:
    """A schedule from its config; None is the step (no gradual part)."""
    if cfg is None:
        return GradualDistillationSchedule(shape='step')
    if isinstance(cfg, GradualDistillationSchedule):
        return cfg
    cfg = dict(cfg)
    cfg.pop('type', None)
    return GradualDistillationSchedule(**cfg)


__all__ = [
    'GradualDistillationSchedule', 'soft_distillation_loss', 'ensemble_probs',
    'mix_soft_target', 'class_disagreement', 'class_weights_from_rates', 'inconsistency_loss',
    'build_schedule'
]
