"""DeepLabV2's classifier: a sum of dilated 3x3 convolutions straight to the classes."""
from __future__ import annotations

from typing import List, Sequence

import torch.nn as nn
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class DeepLabV2Head(BaseDecodeHead):
    """DeepLabV2's ASPP classifier (AdaptSegNet's ``Classifier_Module``).

    One 3x3 convolution per dilation, each from the backbone feature straight to
    ``num_classes``, summed; no normalisation, no activation, no dropout. Weights
    N(0, 0.01) as in the anchors. ``channels`` of :class:`BaseDecodeHead` is unused (there
    is no intermediate width) and ``conv_seg`` is dropped.

    Args:
        dilations (Sequence[int]): Dilation (= padding) of each branch. Default: (6, 12)
            (DAFormer-family configs, and what AdaptSegNet's code effectively runs: its
            loop returns after the first two branches); ADVENT uses (6, 12, 18, 24).
        init_std (float): Standard deviation of the normal weight init. Default: 0.01.
        **kwargs: :class:`BaseDecodeHead` arguments (``in_channels``, ``in_index``,
            ``num_classes``, ``loss_decode``, ``align_corners``, ...).
    """

    def __init__(self, dilations: Sequence[int] = (6, 12), init_std: float = 0.01,
                 **kwargs) -> None:
        kwargs.setdefault('channels', 1)  # BaseDecodeHead requires it; unused here
        # BaseDecodeHead's default init_cfg overrides conv_seg, which does not exist here.
        kwargs.setdefault('init_cfg', None)
        super().__init__(**kwargs)
        if not dilations:
            raise ValueError('DeepLabV2Head: dilations must name at least one branch')
        del self.conv_seg  # the branches are the classifier
        self.dropout = None
        self.dilations = tuple(dilations)
        self.init_std = init_std
        self.aspp = nn.ModuleList(
            nn.Conv2d(self.in_channels, self.out_channels, 3, padding=d, dilation=d)
            for d in self.dilations)

    def init_weights(self) -> None:
        for conv in self.aspp:
            nn.init.normal_(conv.weight, 0.0, self.init_std)
            nn.init.zeros_(conv.bias)

    def forward(self, inputs: List[Tensor]) -> Tensor:
        """Logits of the selected feature.

        Args:
            inputs (list[Tensor]): Backbone features; ``in_index`` picks one
                (B, in_channels, h, w).

        Returns:
            Tensor: (B, num_classes, h, w) logits.
        """
        x = self._transform_inputs(inputs)
        out = self.aspp[0](x)
        for conv in self.aspp[1:]:
            out = out + conv(x)
        return out
