"""Performance tooling: FLOP counting and the training-step benchmark."""
from .fake_execution import ASSUMED_REDUCTIONS, DATA_DEPENDENT_OPS, FakeExecution
from .flops import (EXTRA_FLOP_FORMULAS, FlopCount, count_flops, flop_count_of,
                    flop_counter)
from .method_recorder import CallRecord, MethodCallRecorder
from .synthetic_batch import make_synthetic_semi_batch
from .train_benchmark import (COMPONENTS, STEP_PARTS, STUDENT_PASSES, TrainStepBenchmark,
                              device_name, shares, split_step, watch_train_step)

__all__ = [
    'ASSUMED_REDUCTIONS', 'COMPONENTS', 'CallRecord', 'DATA_DEPENDENT_OPS', 'EXTRA_FLOP_FORMULAS',
    'FakeExecution', 'FlopCount', 'MethodCallRecorder', 'STEP_PARTS', 'STUDENT_PASSES',
    'TrainStepBenchmark', 'count_flops', 'device_name', 'flop_count_of', 'flop_counter',
    'make_synthetic_semi_batch', 'shares', 'split_step', 'watch_train_step'
]
