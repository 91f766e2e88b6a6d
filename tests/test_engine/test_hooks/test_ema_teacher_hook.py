"""EMATeacherHook against hand-computed averages."""
from types import SimpleNamespace

import pytest
import torch
import torch.nn as nn

from mmseg_semivl.engine.hooks import EMATeacherHook


class Pair(nn.Module):
    """A student and a teacher of one scalar weight and one BN (buffers)."""

    def __init__(self):
        super().__init__()
        self.student = nn.Sequential(nn.Linear(1, 1, bias=False), nn.BatchNorm1d(1))
        self.teacher = nn.Sequential(nn.Linear(1, 1, bias=False), nn.BatchNorm1d(1))
        self.teacher.requires_grad_(False)


def set_student(model, value):
    with torch.no_grad():
        model.student[0].weight.fill_(value)
        model.student[1].running_mean.fill_(10 * value)


def teacher_weight(model):
    return model.teacher[0].weight.item()


def run(hook, model, values, start=0):
    """Student weight values[k] after iteration start + k; returns the teacher's weights."""
    seen = []
    for k, value in enumerate(values):
        set_student(model, value)
        hook.after_train_iter(SimpleNamespace(model=model, iter=start + k), batch_idx=k)
        seen.append(teacher_weight(model))
    return seen


def test_warm_up_averages_then_decays_with_the_momentum():
    model = Pair()
    set_student(model, 1.0)
    hook = EMATeacherHook(momentum=0.25)
    hook.before_train(SimpleNamespace(model=model, iter=0))  # copy at iteration 0
    assert teacher_weight(model) == 1.0 and model.teacher[1].running_mean.item() == 10.0
    # m_t = max(0.25, 1 / (t + 1)), t = 1, 2, 3, 4: 1/2, 1/3, 1/4, 1/4. While 1/(t+1)
    # dominates, the teacher is the plain mean of every student seen.
    seen = run(hook, model, [2.0, 3.0, 4.0, 5.0])
    assert seen == pytest.approx([1.5, 2.0, 2.5, 0.75 * 2.5 + 0.25 * 5.0])
    assert [hook.momentum_at(t) for t in (1, 2, 3, 4)] == pytest.approx([1 / 2, 1 / 3, 1 / 4,
                                                                         1 / 4])
    # skip_buffers (default): BN statistics stay those of the copy.
    assert model.teacher[1].running_mean.item() == 10.0


def test_constant_momentum_buffers_and_interval():
    model = Pair()
    set_student(model, 0.0)
    hook = EMATeacherHook(momentum=0.1, warm_up=False, skip_buffers=False, interval=2)
    hook.before_train(SimpleNamespace(model=model, iter=0))
    seen = run(hook, model, [1.0, 1.0, 1.0, 1.0])
    # Updates after iterations 1 and 3 only: 0.1, then 0.9 * 0.1 + 0.1.
    assert seen == pytest.approx([0.0, 0.1, 0.1, 0.19])
    assert model.teacher[1].running_mean.item() == pytest.approx(0.19 * 10)


def test_resumed_run_keeps_its_teacher_and_missing_teacher_is_an_error():
    model = Pair()
    set_student(model, 3.0)
    with torch.no_grad():
        model.teacher[0].weight.fill_(-1.0)
    EMATeacherHook().before_train(SimpleNamespace(model=model, iter=7))
    assert teacher_weight(model) == -1.0  # restored from the checkpoint, not copied
    student_only = nn.Module()
    student_only.student, student_only.teacher = nn.Linear(1, 1), None
    with pytest.raises(RuntimeError, match="teacher='ema'"):
        EMATeacherHook().before_train(SimpleNamespace(model=student_only, iter=0))
    with pytest.raises(ValueError, match='momentum'):
        EMATeacherHook(momentum=1.0)
