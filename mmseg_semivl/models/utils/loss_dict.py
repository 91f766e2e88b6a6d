"""Weighting and namespacing of loss dicts (MMDet's ``reweight_loss_dict`` / ``rename_loss_dict``).

MMEngine sums every entry whose key contains ``'loss'`` and logs the rest, so a weight
applies to the loss terms only and a namespace prefix must not introduce ``'loss'``.
"""
from __future__ import annotations

from typing import Dict

from torch import Tensor


def reweight_losses(losses: Dict[str, Tensor], weight: float) -> Dict[str, Tensor]:
    """Multiply the loss terms (keys containing ``'loss'``) by ``weight``; keep the rest.

    Args:
        losses (dict[str, Tensor]): Named terms and logged statistics.
        weight (float): Factor of every loss term.

    Returns:
        dict[str, Tensor]: A new dict, same keys and order.
    """
    return {k: v * weight if 'loss' in k else v for k, v in losses.items()}


def add_prefix(prefix: str, losses: Dict[str, Tensor]) -> Dict[str, Tensor]:
    """Prepend ``prefix`` to every key (e.g. ``'sup.'``, ``'unsup.'``).

    Raises:
        ValueError: If the prefix contains ``'loss'``: statistics would then be summed
            into the training loss.
    """
    if 'loss' in prefix:
        raise ValueError(f"a loss namespace must not contain 'loss', got {prefix!r}")
    return {prefix + k: v for k, v in losses.items()}
