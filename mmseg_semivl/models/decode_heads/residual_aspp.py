"""Residual ASPP: long-range spatial context for similarity volumes (SemiVL Sec. 3.4)."""
from __future__ import annotations

from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmseg.models.decode_heads.aspp_head import ASPPModule
from torch import Tensor


class ResidualASPP(nn.Module):
    """Atrous spatial pyramid pooling whose fused output is added to its input.

    Branches: one conv per dilation (1x1 for dilation 1, 3x3 otherwise) plus an
    image-pooling branch, each followed by norm + activation; the concatenation
    (``(len(dilations) + 1) * channels``) is projected back to ``channels`` by a
    1x1 conv + norm + activation and added to the input. The residual keeps the
    similarity signal of the initial embedding conv available downstream.

    Args:
        channels (int): Input and output channels (d = 128 in SemiVL).
        dilations (Sequence[int]): Dilation of each conv branch.
            Default: (1, 6, 12, 18).
        norm_cfg (dict, optional): Norm of every branch and of the projection.
            Default: GroupNorm with 8 groups.
        act_cfg (dict): Activation. Default: ReLU.
        align_corners (bool): ``align_corners`` used to broadcast the pooled
            branch back to the input size. Default: True (reference).

    Shape:
        - x: (B, channels, H, W)
        - output: (B, channels, H, W)
    """

    def __init__(self,
                 channels: int,
                 dilations: Sequence[int] = (1, 6, 12, 18),
                 norm_cfg: Optional[dict] = dict(type='GN', num_groups=8),
                 act_cfg: dict = dict(type='ReLU'),
                 align_corners: bool = True) -> None:
        super().__init__()
        self.align_corners = align_corners
        self.image_pool = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            ConvModule(channels, channels, 1, norm_cfg=norm_cfg, act_cfg=act_cfg))
        self.aspp_modules = ASPPModule(
            dilations=tuple(dilations),
            in_channels=channels,
            channels=channels,
            conv_cfg=None,
            norm_cfg=norm_cfg,
            act_cfg=act_cfg)
        self.project = ConvModule(
            (len(dilations) + 1) * channels, channels, 1, norm_cfg=norm_cfg, act_cfg=act_cfg)

    def forward(self, x: Tensor) -> Tensor:
        """Apply the ASPP branches, fuse them and add the input."""
        pooled = F.interpolate(
            self.image_pool(x), size=x.shape[2:], mode='bilinear',
            align_corners=self.align_corners)
        branches = [*self.aspp_modules(x), pooled]
        return x + self.project(torch.cat(branches, dim=1))
