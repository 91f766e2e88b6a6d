"""Performance tooling: FLOP counting, memory estimates and the training-step benchmark."""
from .fake_execution import ASSUMED_REDUCTIONS, DATA_DEPENDENT_OPS, FakeExecution
from .flops import (EXTRA_FLOP_FORMULAS, FlopCount, count_flops, flop_count_of,
                    flop_counter)
from .memory_tracker import (CUDA_BLOCK_BYTES, CUDA_FP32_FUNCTIONS, StorageMemoryTracker,
                             cuda_like_autocast, emulate_cuda_amp)
from .method_recorder import CallRecord, MethodCallRecorder
from .synthetic_batch import make_synthetic_semi_batch
from .train_benchmark import (COMPONENTS, STEP_PARTS, STUDENT_PASSES, TrainStepBenchmark,
                              device_name, shares, split_step, watch_train_step)

__all__ = [
    'ASSUMED_REDUCTIONS', 'COMPONENTS', 'CUDA_BLOCK_BYTES', 'CUDA_FP32_FUNCTIONS', 'CallRecord',
    'DATA_DEPENDENT_OPS', 'EXTRA_FLOP_FORMULAS', 'FakeExecution', 'FlopCount',
    'MethodCallRecorder', 'STEP_PARTS', 'STUDENT_PASSES', 'StorageMemoryTracker',
    'TrainStepBenchmark', 'count_flops', 'cuda_like_autocast', 'device_name',
    'emulate_cuda_amp', 'flop_count_of', 'flop_counter', 'make_synthetic_semi_batch',
    'shares', 'split_step', 'watch_train_step'
]
