"""GroupNorm that stays in the autocast dtype, for memory-lean mixed precision."""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import Tensor


@MODELS.register_module(name='AutocastGN')
class AutocastGroupNorm(nn.GroupNorm):
    """``nn.GroupNorm`` that, under autocast, normalises in the autocast dtype.

    CUDA autocast runs ``group_norm`` in fp32: a bf16 convolution output is copied to
    fp32, normalised into another fp32 tensor, and both are kept for the backward
    (the copy by the norm, the output by the activation), on top of the bf16 copy the
    next convolution saves. In a conv-GN-ReLU stack that is 10 bytes per activation
    instead of 4. This layer normalises the bf16 input directly: the kernels
    accumulate the mean and variance in fp32 anyway, only the output is rounded to
    bf16, as every convolution output already is under AMP. The affine parameters
    stay fp32 (the optimizer's copy) and are cast per call.

    Outside autocast, or for fp32 inputs, it is exactly ``nn.GroupNorm``; its state
    dict is ``nn.GroupNorm``'s, so checkpoints load either way. Registered as norm
    type ``'AutocastGN'`` (same arguments as ``'GN'``).

    Args:
        num_channels (int): Channels C of the input (first, as mmcv's
            ``build_norm_layer`` passes it to every norm but ``nn.GroupNorm``).
        num_groups (int): Groups to separate the channels into.
        eps (float): Added to the variance. Default: 1e-5.
        affine (bool): Learnable per-channel scale and shift. Default: True.

    Shape:
        - input: (B, C, *)
        - output: same as input, in the input's dtype
    """

    _abbr_ = 'gn'  # layer name in ConvModule: state dicts match those with 'GN'

    def __init__(self, num_channels: int, num_groups: int, eps: float = 1e-5,
                 affine: bool = True) -> None:
        super().__init__(num_groups, num_channels, eps=eps, affine=affine)

    def forward(self, x: Tensor) -> Tensor:
        device_type = x.device.type
        if not (torch.is_autocast_enabled(device_type) and x.dtype in (torch.float16,
                                                                        torch.bfloat16)):
            return super().forward(x)
        weight = self.weight.to(x.dtype) if self.weight is not None else None
        bias = self.bias.to(x.dtype) if self.bias is not None else None
        with torch.autocast(device_type=device_type, enabled=False):
            return F.group_norm(x, self.num_groups, weight, bias, self.eps)
