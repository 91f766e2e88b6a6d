"""FakeExecution: shapes-only runs count the same FLOPs as real ones."""

import torch
import torch.nn as nn
from torch._subclasses.fake_tensor import FakeTensor

from mmseg_semivl.analysis import FakeExecution
from mmseg_semivl.utils import count_flops


def test_fake_model_counts_like_the_real_one_and_keeps_device():
    torch.manual_seed(0)
    real = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.Conv2d(4, 2, 1))
    x = torch.randn(2, 3, 8, 8)
    _, expected = count_flops(lambda: real(x).sum().backward())
    execution = FakeExecution()
    execution.fakeify(real)
    assert all(isinstance(p, FakeTensor) for p in real.parameters())
    assert all(isinstance(b, FakeTensor) for b in real.buffers())
    with execution:
        out, count = count_flops(lambda: real(x))
        _, backward = count_flops(lambda: out.sum().backward())
        assert out.device.type == 'cpu' and out.shape == (2, 2, 8, 8)
    assert count.total + backward.total == expected.total


def test_data_dependent_ops_get_stand_ins():
    execution = FakeExecution()
    with execution:
        x = torch.randn(3, 4)
        mask = x > 0
        assert x[mask].shape == (12,)  # every element selected (worst case)
        assert x.sum().item() == 1.0 and (x > 0).sum().item() == 1
        # Checks read as in a healthy run: all(finite) holds, any(problem) does not.
        assert bool(torch.isfinite(x).all()) and not bool((x == 0).any())
        assert not bool(x.sum() > 0) and not torch.equal(x, x)
        assert torch.bincount(mask.flatten().long(), minlength=5).shape == (5,)
        x[mask] = 0.0  # boolean-mask assignment


def test_classmix_runs_on_fake_tensors():
    """torch.unique (ClassMix's class draw) gets a two-value stand-in, so DACS-family
    steps can be estimated; the mask keeps the label's shape."""
    from mmseg_semivl.models.utils import ClassMixMasker
    execution = FakeExecution()
    with execution:
        labels = execution.fake_mode.from_tensor(torch.zeros(2, 8, 8, dtype=torch.long))
        assert torch.unique(labels).shape == (2, )
        mask = ClassMixMasker(classes_from='sample', ignore_index=255).mask_from_labels(labels)
    assert isinstance(mask, FakeTensor) and mask.shape == (2, 8, 8)
