"""AutocastGroupNorm: GroupNorm in the autocast dtype, same as nn.GroupNorm otherwise."""

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule, build_norm_layer
from mmengine.registry import init_default_scope

from mmseg_semivl.models.utils import AutocastGroupNorm
from mmseg_semivl.analysis import StorageMemoryTracker, cuda_like_autocast


def _pair(channels: int = 16, groups: int = 4):
    torch.manual_seed(0)
    reference = nn.GroupNorm(groups, channels)
    nn.init.normal_(reference.weight)
    nn.init.normal_(reference.bias)
    norm = AutocastGroupNorm(channels, groups)
    norm.load_state_dict(reference.state_dict())
    return reference, norm


def test_is_group_norm_outside_autocast():
    reference, norm = _pair()
    x = torch.randn(2, 16, 5, 5)
    assert torch.equal(norm(x), reference(x))
    assert norm.state_dict().keys() == reference.state_dict().keys()


def test_normalises_in_bf16_under_autocast():
    reference, norm = _pair()
    x = torch.randn(2, 16, 5, 5, requires_grad=True)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = norm(x.to(torch.bfloat16))
    assert out.dtype == torch.bfloat16
    # Only the output is rounded: bf16 keeps ~3 significant digits.
    expected = reference(x.detach())
    assert (out.float() - expected).abs().max() < 0.05 * expected.abs().max()
    out.float().sum().backward()
    assert norm.weight.grad.dtype == torch.float32 and x.grad is not None
    assert norm.weight.grad.abs().sum() > 0


def test_registered_for_conv_modules_with_gn_state_dict_names():
    init_default_scope('mmseg')
    name, layer = build_norm_layer(dict(type='AutocastGN', num_groups=4), 16)
    assert name == 'gn' and isinstance(layer, AutocastGroupNorm) and layer.num_groups == 4
    lean = ConvModule(3, 16, 3, norm_cfg=dict(type='AutocastGN', num_groups=4))
    plain = ConvModule(3, 16, 3, norm_cfg=dict(type='GN', num_groups=4))
    plain.load_state_dict(lean.state_dict())  # checkpoints load either way
    assert lean.state_dict().keys() == plain.state_dict().keys()


def _saved_bytes(norm_type: str) -> int:
    """Bytes alive after the forward of a conv-GN-ReLU stack under CUDA-like bf16 AMP."""
    torch.manual_seed(0)
    stack = nn.Sequential(*[
        ConvModule(32, 32, 3, padding=1, norm_cfg=dict(type=norm_type, num_groups=4))
        for _ in range(3)
    ])
    x = torch.randn(4, 32, 32, 32)
    tracker = StorageMemoryTracker(block_bytes=1)
    with tracker, cuda_like_autocast():
        out = stack(x)
        saved = tracker.current_bytes  # what autograd keeps for the backward
    out.float().sum().backward()
    return saved


def test_keeps_less_for_the_backward_than_fp32_group_norm():
    init_default_scope('mmseg')
    elements = 4 * 32 * 32 * 32
    plain, lean = _saved_bytes('GN'), _saved_bytes('AutocastGN')
    # Per layer, GN under CUDA autocast keeps a bf16 conv input (2 B), an fp32 copy
    # for the norm (4 B) and the fp32 norm/ReLU output (4 B); the lean norm keeps
    # the bf16 conv input and a bf16 norm/ReLU output. Weights are a few KiB.
    assert plain > 3 * 8 * elements
    assert lean < 3 * 5 * elements
    assert lean < 0.6 * plain
