"""Entropy maps of ADVENT (weighted self-information) and MinEnt's entropy loss."""
from __future__ import annotations

import math

import torch
from torch import Tensor

#: ADVENT adds this to p inside log2 so that p = 0 contributes 0 instead of NaN.
ENTROPY_EPS = 1e-30


def self_information(prob: Tensor, eps: float = ENTROPY_EPS) -> Tensor:
    """ADVENT's weighted self-information map ``-p log2(p + eps) / log2(C)``.

    Summed over classes it is the entropy of every pixel normalised to [0, 1].

    Args:
        prob (Tensor): (B, C, H, W) class probabilities (a softmax over dim 1).
        eps (float): Added to p inside the logarithm. Default: 1e-30 (ADVENT's).

    Returns:
        Tensor: (B, C, H, W) float32 (computed in float32: under float16 autocast
        1e-30 would round to 0 and log2(0) give NaN).
    """
    num_classes = prob.shape[1]
    if num_classes < 2:
        raise ValueError(f'self_information needs at least 2 classes, got {num_classes}')
    prob = prob.float()
    return -prob * torch.log2(prob + eps) / math.log2(num_classes)


def entropy_loss(prob: Tensor, eps: float = ENTROPY_EPS) -> Tensor:
    """MinEnt's loss: the mean normalised entropy per pixel (ADVENT's ``entropy_loss``).

    Args:
        prob (Tensor): (B, C, H, W) class probabilities.
        eps (float): As in :func:`self_information`.

    Returns:
        Tensor: scalar, ``sum_c self_information / (B H W)``.
    """
    return self_information(prob, eps).sum(dim=1).mean()
