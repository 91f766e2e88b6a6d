"""AdaptSegNet's fully convolutional discriminator (also ADVENT's)."""
from __future__ import annotations

from typing import Sequence

import torch.nn as nn
from mmseg.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class FCDiscriminator(nn.Module):
    """Fully convolutional domain discriminator on class maps.

    ``len(channels) + 1`` convolutions of ``kernel_size`` x ``kernel_size``, stride
    ``stride``, padding ``padding``: ``in_channels -> 64 -> 128 -> 256 -> 512 -> 1`` by
    default, each but the last followed by LeakyReLU(``negative_slope``). No
    normalisation (as in the anchors: the discriminator sees one image per domain per
    step, batch statistics would be meaningless). The output is a logit map, one value
    per receptive field (H / 32, W / 32 with the defaults).

    Args:
        in_channels (int): Channels of the input maps (the number of classes).
        channels (Sequence[int]): Widths of the hidden convolutions.
            Default: (64, 128, 256, 512).
        kernel_size (int): Kernel size of every convolution. Default: 4.
        stride (int): Stride of every convolution. Default: 2.
        padding (int): Zero padding of every convolution. Default: 1.
        negative_slope (float): Slope of the LeakyReLU. Default: 0.2.
    """

    def __init__(self,
                 in_channels: int,
                 channels: Sequence[int] = (64, 128, 256, 512),
                 kernel_size: int = 4,
                 stride: int = 2,
                 padding: int = 1,
                 negative_slope: float = 0.2) -> None:
        super().__init__()
        if in_channels < 1:
            raise ValueError(f'FCDiscriminator: in_channels must be >= 1, got {in_channels}')
        if not channels:
            raise ValueError('FCDiscriminator: channels must name at least one hidden width')
        widths = [in_channels, *channels, 1]
        layers = []
        for i, (c_in, c_out) in enumerate(zip(widths[:-1], widths[1:])):
            layers.append(nn.Conv2d(c_in, c_out, kernel_size, stride, padding))
            if i < len(widths) - 2:
                # inplace=False: the activations are kept for the discriminator's backward.
                layers.append(nn.LeakyReLU(negative_slope))
        self.layers = nn.Sequential(*layers)
        self.in_channels = in_channels

    def forward(self, x: Tensor) -> Tensor:
        """Logit map of ``x``.

        Args:
            x (Tensor): (B, in_channels, H, W) class maps (softmax or self-information).

        Returns:
            Tensor: (B, 1, H', W') logits, H' = H / 2^5 with the defaults (each conv
            maps n to floor((n + 2 p - k) / s) + 1).
        """
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f'FCDiscriminator expects (B, {self.in_channels}, H, W) maps, '
                             f'got shape {tuple(x.shape)}')
        return self.layers(x)
