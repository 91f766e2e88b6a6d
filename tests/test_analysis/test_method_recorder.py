"""MethodCallRecorder: per-call records, FLOPs, nesting and exact restoration."""

import pytest
import torch
import torch.nn as nn

from mmseg_semivl.analysis import MethodCallRecorder
from mmseg_semivl.utils import flop_counter


class TwoLayers(nn.Module):

    def __init__(self) -> None:
        super().__init__()
        self.first = nn.Linear(4, 6)
        self.second = nn.Linear(6, 2)

    def inner(self, x: torch.Tensor) -> torch.Tensor:
        return self.first(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.second(self.inner(x))


def test_records_calls_with_flops_and_depth():
    model = TwoLayers()
    recorder = MethodCallRecorder()
    recorder.watch('outer', model, 'forward').watch('inner', model, 'inner')
    with flop_counter() as counter:
        recorder.flop_counter = counter
        with recorder:
            model(torch.randn(3, 4))
            model.inner(torch.randn(5, 4))
    names = [(r.name, r.depth, r.flops) for r in recorder.records]
    # Records are appended when a call returns: the nested call comes first.
    assert names == [('inner', 1, 2 * 3 * 4 * 6), ('outer', 0, 2 * 3 * 4 * 6 + 2 * 3 * 6 * 2),
                     ('inner', 0, 2 * 5 * 4 * 6)]
    assert all(r.seconds >= 0 for r in recorder.records)


def test_restores_class_and_instance_methods():
    model = TwoLayers()
    own = lambda x: x  # noqa: E731  (an instance attribute must come back as it was)
    model.inner = own
    recorder = MethodCallRecorder().watch('f', model, 'forward').watch('i', model, 'inner')
    with recorder:
        assert 'forward' in vars(model)
    assert 'forward' not in vars(model)
    assert model.inner is own
    assert model(torch.randn(1, 6)).shape == (1, 2)


def test_restores_after_exception_and_rejects_unknown_methods():
    model = TwoLayers()
    recorder = MethodCallRecorder().watch('f', model, 'forward')
    with pytest.raises(RuntimeError):
        with recorder:
            model(torch.randn(1, 5))  # wrong width
    assert 'forward' not in vars(model)
    assert len(recorder.records) == 1  # the failed call is still recorded
    with pytest.raises(AttributeError, match='no method'):
        MethodCallRecorder().watch('x', model, 'missing')
