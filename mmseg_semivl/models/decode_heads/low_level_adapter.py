"""Turns a 1/16-resolution ViT feature map into DeepLabv3+ low-level features."""
from __future__ import annotations

from typing import Optional

import torch.nn as nn
from mmcv.cnn import build_activation_layer, build_norm_layer
from torch import Tensor


class LowLevelAdapter(nn.Module):
    """Up-sample ViT tokens 4x with two 2x2 transposed convs.

    A plain ViT has no 1/4-resolution stage, but DeepLabv3+ fuses low-level
    features at 1/4. Like MMSeg's ``Feature2Pyramid`` neck (BEiT/MAE), two
    stride-2 transposed convs with norm + activation in between learn the
    up-sampling; the output width mimics ResNet's first stage (256).

    Args:
        in_channels (int): Channels of the ViT features. Default: 768.
        out_channels (int): Channels of the 1/4 features. Default: 256.
        norm_cfg (dict, optional): Norm between the two convs. Default: BN.
        act_cfg (dict): Activation between the two convs. Default: GELU
            (as ``Feature2Pyramid``).

    Shape:
        - x: (B, in_channels, H, W)
        - output: (B, out_channels, 4H, 4W)
    """

    def __init__(self,
                 in_channels: int = 768,
                 out_channels: int = 256,
                 norm_cfg: Optional[dict] = dict(type='BN', requires_grad=True),
                 act_cfg: dict = dict(type='GELU')) -> None:
        super().__init__()
        layers = [nn.ConvTranspose2d(in_channels, out_channels, kernel_size=2, stride=2)]
        if norm_cfg is not None:
            layers.append(build_norm_layer(norm_cfg, out_channels)[1])
        layers += [
            build_activation_layer(act_cfg),
            nn.ConvTranspose2d(out_channels, out_channels, kernel_size=2, stride=2),
        ]
        self.layers = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        """Up-sample by 4."""
        return self.layers(x)
