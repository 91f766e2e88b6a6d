"""Splitting a step's recorded calls into parts."""

import subprocess
import sys

import pytest

from mmseg_semivl.analysis import STEP_PARTS, CallRecord, shares, split_step


def record(name: str, flops: int, depth: int = 0) -> CallRecord:
    return CallRecord(name, seconds=flops / 10, flops=flops, depth=depth)


def test_split_step_assigns_student_passes_in_call_order():
    records = [
        record('data_preprocessor', 0), record('guidance', 5), record('encoder', 20),
        record('decoder', 7), record('encoder', 3, depth=1),  # nested: not counted again
        record('encoder', 16), record('decoder', 6), record('backward', 90),
        record('optimizer_step', 0)
    ]
    parts = split_step(records, total=150, field='flops')
    assert tuple(parts) == STEP_PARTS
    assert parts['guidance'] == 5
    assert parts['labeled_weak_forward'] == 27
    assert parts['strong_forward'] == 22
    assert parts['backward'] == 90
    assert parts['other'] == 150 - 5 - 27 - 22 - 90
    assert split_step(records, total=15.0, field='seconds')['strong_forward'] == pytest.approx(2.2)
    assert sum(shares(parts).values()) == pytest.approx(1.0)
    assert shares(parts)['backward'] == pytest.approx(0.6)


def test_extra_student_passes_get_numbered_names():
    records = [record('encoder', 1), record('encoder', 2), record('encoder', 4)]
    assert split_step(records, total=7, field='flops')['student_forward_3'] == 4


def test_profiling_is_opt_in():
    code = ('import sys, mmseg_semivl\n'
            "print(sorted(m for m in sys.modules if m.startswith('mmseg_semivl.analysis')))")
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == '[]'

