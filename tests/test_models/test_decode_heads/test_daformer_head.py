"""DAFormerHead: per-level embeddings, the (separable) ASPP fusion and the output."""

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


def test_defaults_are_daformers_values():
    """A head given only in_channels / num_classes is the head with all of DAFormer's
    values written out (what the encoder bases wrote before the defaults)."""
    in_channels = [32, 64, 160, 256]
    short = MODELS.build(dict(type='DAFormerHead', in_channels=in_channels, num_classes=19))
    full = MODELS.build(dict(
        type='DAFormerHead', in_channels=in_channels, in_index=[0, 1, 2, 3], channels=256,
        embed_dims=256, dilations=(1, 6, 12, 18), separable=True, dropout_ratio=0.1,
        num_classes=19, norm_cfg=dict(type='BN', requires_grad=True), align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)))
    assert repr(short) == repr(full)
    assert ({k: tuple(v.shape) for k, v in short.state_dict().items()}
            == {k: tuple(v.shape) for k, v in full.state_dict().items()})
    assert all(p.requires_grad for p in short.parameters())
    for attr in ('in_channels', 'in_index', 'channels', 'embed_dims', 'num_classes',
                 'out_channels', 'dropout_ratio', 'align_corners', 'norm_cfg', 'act_cfg',
                 'conv_cfg', 'input_transform', 'ignore_index', 'threshold', 'sampler'):
        assert getattr(short, attr) == getattr(full, attr), attr
    assert short.in_index == [0, 1, 2, 3]
    assert short.norm_cfg == dict(type='BN', requires_grad=True)
    loss_short, loss_full = short.loss_decode, full.loss_decode
    assert type(loss_short) is type(loss_full)
    for attr in ('use_sigmoid', 'use_mask', 'reduction', 'loss_weight', 'class_weight',
                 'avg_non_ignore', 'loss_name'):
        assert getattr(loss_short, attr) == getattr(loss_full, attr), attr
    assert type(short.aspp_modules[1]).__name__ == 'DepthwiseSeparableConvModule'
    assert [b.depthwise_conv.conv.dilation[0] for b in list(short.aspp_modules)[1:]] == [6, 12, 18]
    # no norm on request, and a two-level head reads both levels
    two = MODELS.build(dict(type='DAFormerHead', in_channels=[8, 16], num_classes=3,
                            norm_cfg=None))
    assert two.in_index == [0, 1] and two.norm_cfg is None
    assert not hasattr(two.bottleneck, 'bn')
