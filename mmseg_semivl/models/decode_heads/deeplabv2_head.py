"""DeepLabV2's classifier: a sum of dilated 3x3 convolutions straight to the classes."""
from __future__ import annotations

from typing import List, Sequence

import torch
from mmseg.models.decode_heads.aspp_head import ASPPModule
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class DLV2Head(BaseDecodeHead):
    """DeepLabV2's ASPP classifier (the anchors' ``DLV2Head``; AdaptSegNet's and ADVENT's
    ``Classifier_Module``).

    One 3x3 convolution per dilation, each from the selected feature straight to
    ``num_classes``, summed; no normalisation, no activation, no dropout, no separate
    classifier (``conv_seg`` is dropped). The branches are ``aspp_modules[i].conv``, the
    layout of DAFormer's / MIC's checkpoints. Weights N(0, 0.01), biases 0 unless an
    ``init_cfg`` is given (``init_cfg=None``: PyTorch's default initialisation).

    Args:
        dilations (Sequence[int]): Dilation (= padding) of each branch. Default: (6, 12)
            (DAFormer-family UDA, and what AdaptSegNet's code effectively runs: its loop
            returns after the first two branches); ADVENT uses (6, 12, 18, 24).
        **kwargs: ``BaseDecodeHead`` arguments (``in_channels``, ``in_index``,
            ``num_classes``, ``loss_decode``, ``align_corners``, ``init_cfg``);
            ``channels``, ``dropout_ratio`` and ``norm_cfg`` are fixed.
    """

    def __init__(self, dilations: Sequence[int] = (6, 12), **kwargs) -> None:
        for key in ('channels', 'dropout_ratio', 'norm_cfg'):
            if key in kwargs:
                raise ValueError(f'DLV2Head has no {key!r} (got {key}={kwargs[key]!r}): it maps '
                                 'features straight to the classes')
        if not dilations:
            raise ValueError('DLV2Head: dilations must name at least one branch')
        # BaseDecodeHead's default init_cfg overrides conv_seg, which does not exist here.
        kwargs.setdefault('init_cfg', dict(type='Normal', std=0.01,
                                           override=dict(name='aspp_modules')))
        super().__init__(channels=1, dropout_ratio=0.0, **kwargs)
        del self.conv_seg
        self.dilations = tuple(dilations)
        self.aspp_modules = ASPPModule(self.dilations, self.in_channels, self.num_classes,
                                       conv_cfg=self.conv_cfg, norm_cfg=None, act_cfg=None)

    def forward(self, inputs: List[Tensor]) -> Tensor:
        """Logits of the selected feature.

        Args:
            inputs (list[Tensor]): Backbone features; ``in_index`` picks one
                (B, in_channels, h, w).

        Returns:
            Tensor: (B, num_classes, h, w), the sum of the dilated branches.
        """
        outs = self.aspp_modules(self._transform_inputs(inputs))
        return torch.stack(outs).sum(0)


__all__ = ['DLV2Head']
