"""Learned 2x up-sampling with a skip connection (SemiVL Sec. 3.4, U-Net style)."""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from torch import Tensor


class UpBlock(nn.Module):
    """2x2 transposed conv, concat a (shared) skip, fuse with two 3x3 convs.

    The transposed conv outputs ``in_channels - skip_channels`` channels so
    that the fused input keeps the width ``in_channels`` (128 -> 96 + 32 and
    64 -> 48 + 16 in SemiVL).

    The block runs on B*n samples (n classes per image) while the skip
    features belong to the B images: each image's skip is shared by all its
    classes, which is why it is projected once per image and repeated here.

    Args:
        in_channels (int): Input channels.
        skip_channels (int): Channels of the (projected) skip features;
            0 disables the skip connection.
        out_channels (int): Output channels of both fusion convs.
        norm_cfg (dict, optional): Norm of the fusion convs.
            Default: GroupNorm with one group per 16 channels.
        act_cfg (dict): Activation of the fusion convs. Default: ReLU.
        align_corners (bool): For resizing the skip to the up-sampled grid.
            Default: True (reference).

    Shape:
        - x: (B * n, in_channels, H, W)
        - skip: (B, skip_channels, H_s, W_s), any size (resized to 2H x 2W)
        - output: (B * n, out_channels, 2H, 2W)
    """

    def __init__(self,
                 in_channels: int,
                 skip_channels: int,
                 out_channels: int,
                 norm_cfg: Optional[dict] = None,
                 act_cfg: dict = dict(type='ReLU'),
                 align_corners: bool = True) -> None:
        super().__init__()
        if not 0 <= skip_channels < in_channels:
            raise ValueError(f'skip_channels ({skip_channels}) must lie in [0, in_channels '
                             f'({in_channels}))')
        if norm_cfg is None:
            norm_cfg = dict(type='GN', num_groups=max(out_channels // 16, 1))
        self.align_corners = align_corners
        self.up = nn.ConvTranspose2d(
            in_channels, in_channels - skip_channels, kernel_size=2, stride=2)
        self.fuse = nn.Sequential(
            ConvModule(in_channels, out_channels, 3, padding=1, norm_cfg=norm_cfg,
                       act_cfg=act_cfg),
            ConvModule(out_channels, out_channels, 3, padding=1, norm_cfg=norm_cfg,
                       act_cfg=act_cfg))

    def forward(self, x: Tensor, skip: Optional[Tensor] = None) -> Tensor:
        """Up-sample ``x`` and fuse it with the skip of its image."""
        x = self.up(x)
        if skip is not None:
            batch = skip.shape[0]
            if x.shape[0] % batch:
                raise ValueError(f'{x.shape[0]} class maps cannot be split over {batch} '
                                 'skip features')
            skip = F.interpolate(skip, size=x.shape[2:], mode='bilinear',
                                 align_corners=self.align_corners)
            per_image = x.shape[0] // batch
            skip = skip.unsqueeze(1).expand(-1, per_image, -1, -1, -1).flatten(0, 1)
            x = torch.cat([x, skip.to(x.dtype)], dim=1)
        return self.fuse(x)
