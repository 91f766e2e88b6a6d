"""DAFormer's context-aware fusion head (self-training and adversarial UDA)."""
from __future__ import annotations

from typing import List, Optional, Sequence

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmseg.models.decode_heads.aspp_head import ASPPModule
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.decode_heads.sep_aspp_head import DepthwiseSeparableASPPModule
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class DAFormerHead(BaseDecodeHead):
    """DAFormer's decoder: per-level linear embedding, upsampling, ASPP fusion.

    Every input level i (B, C_i, h_i, w_i) is embedded to ``embed_dims`` channels by a
    linear layer over its tokens (no norm, no activation), resized bilinearly to the
    first level's size and concatenated (L x embed_dims channels). The fusion is an
    ASPP without image pooling: a 1x1 branch for dilation 1 and 3x3 (depthwise-
    separable with ``separable``) branches for the others, each ConvModule with
    ``norm_cfg`` + ReLU, then a 3x3 bottleneck to ``channels``, dropout and the 1x1
    classifier of ``BaseDecodeHead``.

    The defaults are DAFormer's (Hoyer et al. 2022, Sec. 3.2; its released
    ``configs/_base_/models/daformer_sepaspp_mitb5.py``), the same for every encoder, so
    that a config writes only what depends on the encoder and the data (``in_channels``,
    ``num_classes``).

    Args:
        in_channels (Sequence[int]): Channels of every input level (one embedding
            layer each).
        num_classes (int): Number of classes of the 1x1 classifier.
        channels (int): Width of each ASPP branch and of the bottleneck. Default: 256,
            DAFormer's decoder width.
        embed_dims (int): Width of the per-level embeddings. Default: 256, DAFormer's
            (the same as ``channels``).
        dilations (Sequence[int]): ASPP dilations. Default: (1, 6, 12, 18), DAFormer's
            context-aware fusion (DeepLabV3's rates, without image pooling).
        separable (bool): Depthwise-separable 3x3 branches; False is the paper's
            "w/o DSC" ablation. Default: True, the separable fusion of DAFormer's final
            decoder.
        norm_cfg (dict | None): Norm of every ASPP branch and the bottleneck.
            Default: ``dict(type='BN', requires_grad=True)``, DAFormer's trainable batch
            norm (``BaseDecodeHead``'s own default is no norm); None drops it.
        in_index (Sequence[int] | None): The backbone / neck outputs the head reads, one
            per ``in_channels`` entry. Default: None = every level in order
            (``[0, ..., len(in_channels) - 1]``): DAFormer fuses all of them.
        **kwargs: Other ``BaseDecodeHead`` arguments. Their defaults are DAFormer's
            already: ``dropout_ratio`` 0.1, ``align_corners`` False, ``loss_decode``
            cross-entropy (softmax, weight 1.0), ReLU, ignore index 255;
            ``input_transform`` is 'multiple_select'.
    """

    def __init__(self, in_channels: Sequence[int], num_classes: int, channels: int = 256,
                 embed_dims: int = 256, dilations: Sequence[int] = (1, 6, 12, 18),
                 separable: bool = True,
                 norm_cfg: Optional[dict] = dict(type='BN', requires_grad=True),
                 in_index: Optional[Sequence[int]] = None, **kwargs) -> None:
        if not isinstance(in_channels, (list, tuple)):
            raise ValueError(f'DAFormerHead needs one in_channels entry per level, got '
                             f'in_channels={in_channels}')
        if in_index is None:
            in_index = list(range(len(in_channels)))
        kwargs.setdefault('input_transform', 'multiple_select')
        super().__init__(in_channels, channels, num_classes=num_classes,
                         norm_cfg=None if norm_cfg is None else dict(norm_cfg),
                         in_index=in_index, **kwargs)
        self.embed_dims = embed_dims
        self.embed_layers = nn.ModuleList(nn.Linear(c, embed_dims) for c in self.in_channels)
        fused = embed_dims * len(self.in_channels)
        aspp = DepthwiseSeparableASPPModule if separable else ASPPModule
        self.aspp_modules = aspp(dilations=tuple(dilations), in_channels=fused,
                                 channels=self.channels, conv_cfg=self.conv_cfg,
                                 norm_cfg=self.norm_cfg, act_cfg=self.act_cfg)
        self.bottleneck = ConvModule(len(dilations) * self.channels, self.channels, 3,
                                     padding=1, conv_cfg=self.conv_cfg, norm_cfg=self.norm_cfg,
                                     act_cfg=self.act_cfg)

    def fuse(self, inputs: List[Tensor]) -> Tensor:
        """(B, C_i, h_i, w_i) per level -> fused (B, channels, h_0, w_0) features."""
        x = self._transform_inputs(inputs)
        size = x[0].shape[2:]
        embedded = []
        for layer, feat in zip(self.embed_layers, x):
            b, _, h, w = feat.shape
            e = layer(feat.flatten(2).transpose(1, 2)).transpose(1, 2).reshape(b, -1, h, w)
            if e.shape[2:] != size:
                e = resize(e, size=size, mode='bilinear', align_corners=self.align_corners)
            embedded.append(e)
        return self.bottleneck(torch.cat(self.aspp_modules(torch.cat(embedded, dim=1)), dim=1))

    def forward(self, inputs: List[Tensor]) -> Tensor:
        """(B, num_classes, h_0, w_0) logits."""
        return self.cls_seg(self.fuse(inputs))


__all__ = ['DAFormerHead']
