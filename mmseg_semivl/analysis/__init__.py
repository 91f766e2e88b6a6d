"""Opt-in profiling: the training-step benchmark, fake execution, memory estimates.

Not imported by ``import mmseg_semivl``: these modules use private torch APIs
(fake tensors, dispatch modes) and patch methods while they run, which training never
needs. ``tools/benchmark_train.py`` imports them explicitly.
"""
from .fake_execution import ASSUMED_REDUCTIONS, DATA_DEPENDENT_OPS, FakeExecution
from .memory_tracker import (CUDA_BLOCK_BYTES, CUDA_FP32_FUNCTIONS, StorageMemoryTracker,
                             cuda_like_autocast, emulate_cuda_amp)
from .method_recorder import CallRecord, MethodCallRecorder
from .train_benchmark import (COMPONENTS, STEP_PARTS, STUDENT_PASSES, TrainStepBenchmark,
                              components, declared_parts, device_name, shares, split_step,
                              step_parts, student_passes, watch_train_step)

__all__ = [
    'ASSUMED_REDUCTIONS', 'COMPONENTS', 'CUDA_BLOCK_BYTES', 'CUDA_FP32_FUNCTIONS', 'CallRecord',
    'DATA_DEPENDENT_OPS', 'FakeExecution', 'MethodCallRecorder', 'STEP_PARTS', 'STUDENT_PASSES',
    'StorageMemoryTracker', 'TrainStepBenchmark', 'components', 'cuda_like_autocast',
    'declared_parts', 'device_name', 'emulate_cuda_amp', 'shares', 'split_step', 'step_parts',
    'student_passes', 'watch_train_step'
]
