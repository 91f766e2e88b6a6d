"""CLIP ViT with a convolutional 1/4-resolution skip (SemiVL's Cityscapes encoder)."""
from __future__ import annotations

from typing import Optional, Sequence, Tuple

import torch
from mmseg.registry import MODELS
from torch import Tensor

from .clip_configs import CLIP_MEAN, CLIP_STD
from .clip_vit import CLIPVisionTransformer

#: The reference's Cityscapes conv encoder (``configs/_base_/models/
#: vlm-vlg-aspp-s2p4-skr04-ftap-mcvitb.py``): the deep stem and first stage of an
#: ImageNet ResNet-101 V1c, 256 channels at 1/4 resolution, fully trained.
RESNET101_V1C_STEM = dict(
    type='ResNetV1c',
    depth=101,
    num_stages=1,
    out_indices=(0, ),
    strides=(1, ),
    dilations=(1, ),
    norm_cfg=dict(type='SyncBN', requires_grad=True),
    style='pytorch',
    contract_dilation=True,
    init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://resnet101_v1c'))

#: ImageNet's normalisation (0-255 scale), what the ResNet stem's weights expect.
IMAGENET_MEAN = (123.675, 116.28, 103.53)
IMAGENET_STD = (58.395, 57.12, 57.375)


@MODELS.register_module()
class CLIPWithConvSkip(CLIPVisionTransformer):
    """A :class:`CLIPVisionTransformer` whose shallowest skip comes from a conv stem.

    ViT skips sit at 1/16 resolution; on Cityscapes' thin, small objects SemiVL's
    reference takes the decoder's last (highest-resolution) skip from the stem and first
    stage of a ResNet at 1/4 resolution instead, and keeps a single ViT skip (the input
    of block 4). The stem is trained fully whatever the CLIP's ``finetune`` mode.

    A subclass rather than a wrapper: every CLIP argument, attribute and parameter name
    (``resblocks.0.attn...``) stays that of the plain backbone, so config keys such as
    ``model.backbone.pretrained`` and CLIP state dicts carry over; the stem adds
    ``conv_stem.*``.

    ``forward`` returns ``(conv, skip_0, ..., skip_k, dense)``: the conv feature first,
    as the shallowest skip in backbone order, followed by the CLIP tuple. With the
    reference's ``skip_blocks=(4,)`` that is ``(conv 1/4, block-4 skip 1/16, dense)``,
    for a :class:`LanguageGuidedHead` with ``in_channels=(256, 768, 512)``: its last
    up-block fuses the conv feature (resized to its grid), the first the block-4 skip.

    The images arrive normalised for CLIP; the ResNet's ImageNet weights expect
    ImageNet's normalisation, which the reference gives it (its loader normalises with
    ImageNet statistics and re-normalises only the CLIP input). The stem input is
    re-normalised here likewise; ``stem_mean=None`` feeds the CLIP input unchanged.

    Args:
        conv_stem (dict): Config of the conv stem (an MMSeg ResNet with one stage);
            its last output is the skip. Default: :data:`RESNET101_V1C_STEM`.
        input_mean (Sequence[float]): Mean the data pre-processor subtracted (0-255
            scale). Default: CLIP's.
        input_std (Sequence[float]): Std the data pre-processor divided by. Default:
            CLIP's.
        stem_mean (Sequence[float], optional): Mean the stem's weights expect; None
            disables the re-normalisation. Default: ImageNet's.
        stem_std (Sequence[float], optional): Std the stem's weights expect. Default:
            ImageNet's.
        **kwargs: Arguments of :class:`CLIPVisionTransformer` (``model_name``,
            ``pretrained``, ``img_size``, ``finetune``, ``skip_blocks``, ``init_cfg``, ...).

    Shape:
        - x: (B, 3, H, W) normalised images
        - output: conv (B, C_conv, H/4, W/4) (ResNet rounding: ceil), CLIP skips
          (B, width, H/p, W/p), dense (B, embed_dim, H/p, W/p)
    """

    def __init__(self,
                 conv_stem: dict = RESNET101_V1C_STEM,
                 input_mean: Sequence[float] = CLIP_MEAN,
                 input_std: Sequence[float] = CLIP_STD,
                 stem_mean: Optional[Sequence[float]] = IMAGENET_MEAN,
                 stem_std: Optional[Sequence[float]] = IMAGENET_STD,
                 **kwargs) -> None:
        if (stem_mean is None) != (stem_std is None):
            raise ValueError('stem_mean and stem_std must both be given or both be None')
        super().__init__(**kwargs)
        # Built after the CLIP, whose __init__ sets requires_grad by the finetune mode:
        # the stem keeps requires_grad=True (the reference trains it fully).
        self.conv_stem = MODELS.build(dict(conv_stem))
        self.renormalize = stem_mean is not None
        if self.renormalize:
            # x_stem = (x * input_std + input_mean - stem_mean) / stem_std = x * scale + shift
            scale, shift = self._affine(input_mean, input_std, stem_mean, stem_std)
            self.register_buffer('stem_scale', scale, persistent=False)
            self.register_buffer('stem_shift', shift, persistent=False)
        self.train(self.training)

    @staticmethod
    def _affine(input_mean: Sequence[float], input_std: Sequence[float],
                stem_mean: Sequence[float], stem_std: Sequence[float]) -> Tuple[Tensor, Tensor]:
        stats = [torch.tensor(v, dtype=torch.float32).view(1, -1, 1, 1)
                 for v in (input_mean, input_std, stem_mean, stem_std)]
        if any(s.numel() != 3 for s in stats):
            raise ValueError('input_mean, input_std, stem_mean and stem_std need 3 values '
                             f'(RGB), got {[s.numel() for s in stats]}')
        in_mean, in_std, out_mean, out_std = stats
        return in_std / out_std, (in_mean - out_mean) / out_std

    def train(self, mode: bool = True) -> 'CLIPWithConvSkip':
        """A frozen CLIP stays in eval mode; the trained stem (and its BN) follows ``mode``."""
        super().train(mode)
        # The parent's __init__ calls train() before the stem exists.
        if 'conv_stem' in self._modules:
            self.conv_stem.train(mode)
        return self

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Conv skip, CLIP skips and dense CLIP embedding.

        Args:
            x (Tensor): (B, 3, H, W) images normalised with ``input_mean``/``input_std``.

        Returns:
            tuple[Tensor]: ``(conv, skip_0, ..., skip_k, dense)`` (see the class doc).
        """
        stem_input = x * self.stem_scale + self.stem_shift if self.renormalize else x
        conv = self.conv_stem(stem_input)[-1]
        return (conv, ) + super().forward(x)
