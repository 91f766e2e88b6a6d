"""DeepLabv3+ on a plain ViT: the UniMatch-ViT baseline of SemiVL (Tables 1-6)."""
from __future__ import annotations

from typing import List, Optional, Sequence

import torch
from mmseg.models.decode_heads.sep_aspp_head import DepthwiseSeparableASPPHead
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from torch import Tensor

from .feature_perturbation import FeaturePerturbationMixin
from .low_level_adapter import LowLevelAdapter


@MODELS.register_module()
class DeepLabV3PlusViTHead(FeaturePerturbationMixin, DepthwiseSeparableASPPHead):
    """MMSeg's DeepLabv3+ head fed from a single-scale ViT.

    c4 (the ASPP input) is the backbone output ``in_index`` at 1/16 (default:
    the dense embedding, as the reference's UniMatch-ViT config). The
    low-level input c1 is the backbone output ``c1_index`` (default: the skip
    of block 4) brought to 1/4 by a :class:`LowLevelAdapter`, so the head
    predicts at 1/4 like DeepLabv3+ on a ResNet. Everything after the adapter
    is :class:`DepthwiseSeparableASPPHead` unchanged.

    ``forward(inputs, num_perturbed=0)`` follows the package contract: the
    last ``num_perturbed`` samples are decoded again with ``Dropout2d``
    (``fp_dropout``) on c4 and on the skip before the adapter.

    Args:
        in_channels (int): Channels of c4. Default: 512.
        channels (int): Width of the ASPP and fusion convs. Default: 256.
        skip_in_channels (int): Channels of the ``c1_index`` input.
            Default: 768.
        c1_in_channels (int): Channels of the adapted 1/4 features.
            Default: 256.
        c1_channels (int): Width of the c1 bottleneck. Default: 48.
        in_index (int): Index of c4 in the backbone tuple. Default: 2.
        c1_index (int): Index of the low-level source. Default: 1.
        dilations (Sequence[int]): ASPP dilations. Default: (1, 6, 12, 18).
        fp_dropout (float): Feature-perturbation dropout. Default: 0.5.
        dropout_ratio (float): Dropout before ``conv_seg``. Default: 0
            (UniMatch's DeepLabv3+ has none).
        norm_cfg (dict): Norm of all convs incl. the adapter. Default: BN
            (configs pass SyncBN for multi-GPU training).
        adapter_act_cfg (dict): Activation inside the adapter. Default: GELU.
        **kwargs: Further BaseDecodeHead arguments (``num_classes`` required).

    Shape:
        - inputs: backbone tuple; c4 (B, in_channels, H/16, W/16), skip
          (B, skip_in_channels, H/16, W/16)
        - output: (B + num_perturbed, num_classes, H/4, W/4)
    """

    def __init__(self,
                 in_channels: int = 512,
                 channels: int = 256,
                 skip_in_channels: int = 768,
                 c1_in_channels: int = 256,
                 c1_channels: int = 48,
                 in_index: int = 2,
                 c1_index: int = 1,
                 dilations: Sequence[int] = (1, 6, 12, 18),
                 fp_dropout: float = 0.5,
                 dropout_ratio: float = 0.,
                 norm_cfg: Optional[dict] = dict(type='BN', requires_grad=True),
                 adapter_act_cfg: dict = dict(type='GELU'),
                 **kwargs) -> None:
        if c1_in_channels <= 0:
            raise ValueError(f'c1_in_channels must be > 0 (the adapter output), got '
                             f'{c1_in_channels}')
        super().__init__(
            c1_in_channels=c1_in_channels, c1_channels=c1_channels, in_channels=in_channels,
            channels=channels, in_index=in_index, dilations=tuple(dilations),
            dropout_ratio=dropout_ratio, norm_cfg=norm_cfg, **kwargs)
        self.c1_index = c1_index
        self.fp_dropout = fp_dropout
        self.c1_adapter = LowLevelAdapter(skip_in_channels, c1_in_channels, norm_cfg,
                                          adapter_act_cfg)

    def _select_inputs(self, inputs: Sequence[Tensor]) -> List[Tensor]:
        """Return [low-level source, c4]."""
        return [inputs[self.c1_index], inputs[self.in_index]]

    def _decode(self, feats: List[Tensor]) -> Tensor:
        """DepthwiseSeparableASPPHead.forward with c1 taken from the adapter."""
        skip, x = feats
        aspp_outs = [
            resize(self.image_pool(x), size=x.shape[2:], mode='bilinear',
                   align_corners=self.align_corners),
            *self.aspp_modules(x),
        ]
        output = self.bottleneck(torch.cat(aspp_outs, dim=1))
        c1_output = self.c1_bottleneck(self.c1_adapter(skip))
        output = resize(output, size=c1_output.shape[2:], mode='bilinear',
                        align_corners=self.align_corners)
        output = self.sep_bottleneck(torch.cat([output, c1_output], dim=1))
        return self.cls_seg(output)
