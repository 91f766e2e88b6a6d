"""Spatial reasoning on vision-language similarity maps (SemiVL Sec. 3.4)."""
from __future__ import annotations

from typing import Optional, Sequence

import torch.nn as nn
from torch import Tensor

from .residual_aspp import ResidualASPP


class SpatialReasoning(nn.Module):
    """Embed similarity maps with a large conv, then add ASPP context.

    In SemiVL every class similarity map is a separate sample (``in_channels``
    = 1), so the learned spatial reasoning is shared across classes. The
    "joint reasoning" ablation instead feeds all N maps as channels
    (``in_channels`` = N, ``channels`` = N * d).

    Args:
        in_channels (int): Similarity maps per sample. Default: 1.
        channels (int): Embedding width d. Default: 128.
        kernel_size (int): Kernel of the embedding conv (odd). Default: 7.
        dilations (Sequence[int]): ASPP dilations. Default: (1, 6, 12, 18).
        norm_cfg (dict, optional): Norm of the ASPP. Default: GroupNorm(8).
        act_cfg (dict): Activation of the ASPP. Default: ReLU.
        align_corners (bool): For the ASPP pooling branch. Default: True.

    Shape:
        - x: (B, in_channels, H, W) cosine similarities
        - output: (B, channels, H, W)
    """

    def __init__(self,
                 in_channels: int = 1,
                 channels: int = 128,
                 kernel_size: int = 7,
                 dilations: Sequence[int] = (1, 6, 12, 18),
                 norm_cfg: Optional[dict] = dict(type='GN', num_groups=8),
                 act_cfg: dict = dict(type='ReLU'),
                 align_corners: bool = True) -> None:
        super().__init__()
        if kernel_size % 2 != 1:
            raise ValueError(f'kernel_size must be odd to keep the map size, got {kernel_size}')
        # A plain conv (bias, no norm/activation): the raw similarity values
        # carry the signal, and the ASPP residual adds onto this embedding.
        self.embed = nn.Conv2d(in_channels, channels, kernel_size, padding=kernel_size // 2)
        self.aspp = ResidualASPP(channels, dilations, norm_cfg, act_cfg, align_corners)

    def forward(self, x: Tensor) -> Tensor:
        """Embed the similarity maps and refine them with context."""
        return self.aspp(self.embed(x))
