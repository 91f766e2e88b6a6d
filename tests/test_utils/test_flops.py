"""FLOP counting against hand formulas (a multiply-add = 2 FLOPs)."""

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmseg_semivl.utils import count_flops


def test_linear_forward_and_backward_match_2mnk():
    m, k, n = 5, 7, 3
    layer = nn.Linear(k, n)
    x = torch.randn(m, k, requires_grad=True)
    out, forward = count_flops(layer, x)
    assert forward.total == 2 * m * n * k == 210
    _, backward = count_flops(lambda: out.sum().backward())
    # grad wrt input (M x N @ N x K) and wrt weight (N x M @ M x K): 2 MNK each.
    assert backward.total == 4 * m * n * k


def test_conv_matches_hand_formula():
    b, c_in, c_out, size, kernel = 2, 3, 4, 6, 3
    conv = nn.Conv2d(c_in, c_out, kernel, padding=1)
    _, count = count_flops(conv, torch.randn(b, c_in, size, size))
    assert count.total == 2 * b * c_out * size * size * c_in * kernel * kernel == 15552


def test_cpu_fused_attention_is_counted():
    # PyTorch's counter has no formula for the CPU flash kernel; ours adds it.
    b, heads, seq, dim = 2, 3, 16, 8
    q = torch.randn(b, heads, seq, dim, requires_grad=True)
    out, count = count_flops(F.scaled_dot_product_attention, q, q, q)
    assert count.total == 2 * (2 * b * heads * seq * seq * dim)  # QK^T and PV
    _, backward = count_flops(lambda: out.sum().backward())
    assert backward.total > count.total


def test_flops_by_module_and_children():
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    _, count = count_flops(model, torch.randn(3, 4))
    assert count.children('Sequential') == {'0': 2 * 3 * 4 * 8, '2': 2 * 3 * 8 * 2}
    assert count.total == 2 * 3 * 4 * 8 + 2 * 3 * 8 * 2
