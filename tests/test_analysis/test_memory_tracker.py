"""StorageMemoryTracker and the CUDA-like autocast used for memory estimates."""

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.optim import OptimWrapper
from torch._subclasses.fake_tensor import FakeTensorMode

from mmseg_semivl.analysis import (CUDA_FP32_FUNCTIONS, StorageMemoryTracker, cuda_like_autocast,
                                   emulate_cuda_amp)


def _allocate_and_free(tracker: StorageMemoryTracker) -> None:
    with tracker:
        a = torch.empty(1000)  # 4000 B -> 4096 in 512-byte blocks
        b = torch.empty(2000)  # 8000 B -> 8192
        b.view(-1).add_(1)  # a view and an in-place op: no new storage
        assert tracker.current_bytes == 4096 + 8192
        del a
        assert tracker.current_bytes == 8192
        c = torch.empty(100)  # 400 B -> 512
        assert tracker.current_bytes == 8192 + 512
        del b, c
    assert tracker.current_bytes == 0


def test_counts_live_storages_and_their_peak():
    tracker = StorageMemoryTracker()
    _allocate_and_free(tracker)
    assert tracker.peak_bytes == 4096 + 8192


def test_fake_tensors_count_like_real_ones():
    tracker = StorageMemoryTracker()
    with FakeTensorMode():
        _allocate_and_free(tracker)
    assert tracker.peak_bytes == 4096 + 8192


def test_block_rounding_and_reset_peak():
    tracker = StorageMemoryTracker(block_bytes=1)
    with tracker:
        a = torch.empty(10, dtype=torch.bfloat16)
        tmp = torch.empty(100, dtype=torch.bfloat16)
        del tmp
        tracker.reset_peak()
        assert tracker.peak_bytes == tracker.current_bytes == 20
        b = torch.empty(3, dtype=torch.uint8)
    assert tracker.peak_bytes == 23
    del a, b


def test_existing_tensors_and_autograd_saved_tensors():
    layer = nn.Linear(256, 256, bias=False)  # 256 KiB of weights
    x = torch.randn(64, 256)
    tracker = StorageMemoryTracker()
    assert tracker.track(layer.parameters()) == 256 * 256 * 4
    assert tracker.track(layer.parameters()) == 0  # counted once
    with tracker:
        hidden = layer(x)  # 64 KiB, kept alive by `hidden`
        loss = hidden.relu().sum()  # relu saves its 64 KiB output for the backward
        assert tracker.current_bytes == 256 * 256 * 4 + 2 * 64 * 256 * 4 + 512
        del hidden
        loss.backward()  # frees the saved output, allocates the weight's gradient
    assert tracker.current_bytes == 2 * 256 * 256 * 4 + 512
    assert tracker.bytes_of([layer.weight, layer.weight.grad]) == 2 * 256 * 256 * 4


def test_cuda_like_autocast_casts_norms_and_softmax_to_fp32():
    x = torch.randn(2, 32, 4, 4, dtype=torch.bfloat16)
    originals = {name: getattr(F, name) for name in CUDA_FP32_FUNCTIONS}
    with cuda_like_autocast():
        assert F.group_norm(x, 4).dtype == torch.float32
        assert nn.GroupNorm(4, 32)(x).dtype == torch.float32
        assert nn.LayerNorm(4)(x).dtype == torch.float32
        assert F.softmax(x, dim=1).dtype == torch.float32
        assert F.softmax(x, dim=1, dtype=torch.bfloat16).dtype == torch.bfloat16  # as asked
        assert F.log_softmax(x, dim=1).dtype == torch.float32
        # matmuls and convolutions stay in bf16, as under CUDA autocast
        assert nn.Conv2d(32, 8, 1)(x.float()).dtype == torch.bfloat16
        assert nn.Linear(4, 4)(x.float()).dtype == torch.bfloat16
        with torch.autocast('cpu', enabled=False):  # only under autocast
            assert F.group_norm(x, 4).dtype == torch.bfloat16
    assert {name: getattr(F, name) for name in CUDA_FP32_FUNCTIONS} == originals
    assert F.group_norm(x, 4).dtype == torch.bfloat16


def test_emulated_amp_wraps_only_the_forward_context():
    model = nn.Linear(4, 4)
    optim_wrapper = emulate_cuda_amp(OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1)))
    x = torch.randn(2, 4)
    with optim_wrapper.optim_context(model):
        out = model(x)
        assert out.dtype == torch.bfloat16
    optim_wrapper.update_params(out.float().sum())
    assert model(x).dtype == torch.float32
    assert model.weight.dtype == torch.float32


def test_device_filter():
    tracker = StorageMemoryTracker(device_type='cuda')
    with tracker:
        x = torch.empty(1000)
    assert tracker.peak_bytes == 0
    del x


@pytest.mark.parametrize('bad_steps', [0, -1])
def test_estimate_needs_a_step(bad_steps):
    from mmseg_semivl.analysis import TrainStepBenchmark
    model = nn.Linear(2, 2)
    bench = TrainStepBenchmark(model, OptimWrapper(torch.optim.SGD(model.parameters(), lr=1)),
                               lambda: {}, 2)
    with pytest.raises(ValueError, match='steps >= 1'):
        bench.estimate_memory(bad_steps)


def test_emulated_amp_recomputes_checkpointed_norms_like_the_forward():
    # Non-reentrant checkpointing compares the recomputed tensors' dtypes with the
    # forward's: the fp32 policy must hold during the backward too.
    from torch.utils.checkpoint import checkpoint
    block = nn.Sequential(nn.Conv2d(8, 16, 3, padding=1), nn.GroupNorm(4, 16), nn.ReLU())
    optim_wrapper = emulate_cuda_amp(OptimWrapper(torch.optim.SGD(block.parameters(), lr=0.1)))
    with optim_wrapper.optim_context(block):
        out = checkpoint(block, torch.randn(2, 8, 8, 8), use_reentrant=False)
        assert out.dtype == torch.float32  # GroupNorm output, as under CUDA autocast
    optim_wrapper.update_params(out.sum())
    assert block[0].weight.grad is None  # zeroed by update_params after the step
