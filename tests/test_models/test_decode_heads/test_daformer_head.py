"""DAFormerHead: per-level embeddings, the (separable) ASPP fusion and the output."""
import mmseg_semivl  # noqa: F401  (must precede mmseg imports)

import torch
from mmseg.registry import MODELS


def test_daformer_head_structure_and_output():
    head = MODELS.build(dict(type='DAFormerHead', in_channels=[8, 16, 32, 64],
                             in_index=[0, 1, 2, 3], channels=16, embed_dims=12,
                             num_classes=5, norm_cfg=dict(type='BN'), dropout_ratio=0.1))
    assert [tuple(e.weight.shape) for e in head.embed_layers] == [(12, 8), (12, 16), (12, 32),
                                                                 (12, 64)]
    branches = list(head.aspp_modules)
    assert len(branches) == 4
    # dilation 1: a 1x1 conv on the 4 x 12 concatenated embeddings; the others separable
    assert branches[0].conv.kernel_size == (1, 1) and branches[0].conv.in_channels == 48
    for branch, d in zip(branches[1:], (6, 12, 18)):
        assert type(branch).__name__ == 'DepthwiseSeparableConvModule'
        assert branch.depthwise_conv.conv.dilation == (d, d)
        assert branch.depthwise_conv.conv.groups == 48
    assert head.bottleneck.conv.in_channels == 64 and head.bottleneck.conv.kernel_size == (3, 3)
    feats = [torch.randn(2, c, 16 // 2**i, 16 // 2**i) for i, c in enumerate([8, 16, 32, 64])]
    assert head(feats).shape == (2, 5, 16, 16)
    plain = MODELS.build(dict(type='DAFormerHead', in_channels=[8, 16], in_index=[0, 1],
                              channels=16, num_classes=5, separable=False))
    assert type(plain.aspp_modules[1]).__name__ == 'ConvModule'
