"""DLV2Head (DeepLabV2's classifier): the sum of dilated convs by hand, its parameters,
the anchors' initialisation and one-line errors."""

import pytest
import torch
import torch.nn.functional as F
from mmseg.registry import MODELS


def test_dlv2_head_is_the_sum_of_dilated_convs():
    head = MODELS.build(dict(type='DLV2Head', in_channels=6, in_index=0, num_classes=3))
    assert len(head.aspp_modules) == 2 and not hasattr(head, 'conv_seg')
    x = torch.randn(1, 6, 20, 20)
    expected = sum(F.conv2d(x, m.conv.weight, m.conv.bias, padding=d, dilation=d)
                   for m, d in zip(head.aspp_modules, (6, 12)))
    torch.testing.assert_close(head([x]), expected)
    with pytest.raises(ValueError, match="DLV2Head has no 'channels'"):
        MODELS.build(dict(type='DLV2Head', in_channels=6, num_classes=3, channels=4))
    with pytest.raises(ValueError, match='at least one branch'):
        MODELS.build(dict(type='DLV2Head', in_channels=6, num_classes=3, dilations=()))


def test_dlv2_head_parameters_and_default_init():
    torch.manual_seed(0)
    head = MODELS.build(dict(type='DLV2Head', in_channels=64, num_classes=3,
                             dilations=(6, 12, 18, 24)))
    # The branches are the whole head: no intermediate width, no classifier.
    assert sum(p.numel() for p in head.parameters()) == 4 * (9 * 64 * 3 + 3)
    assert list(head.state_dict()) == [f'aspp_modules.{i}.conv.{k}' for i in range(4)
                                       for k in ('weight', 'bias')]
    head.init_weights()  # the anchors' N(0, 0.01) weights and zero biases, no config needed
    weights = torch.cat([m.conv.weight.flatten() for m in head.aspp_modules])
    assert weights.std().item() == pytest.approx(0.01, rel=0.05)
    assert all(torch.equal(m.conv.bias, torch.zeros(3)) for m in head.aspp_modules)
    out = head([torch.randn(2, 64, 9, 9)])
    assert out.shape == (2, 3, 9, 9)
