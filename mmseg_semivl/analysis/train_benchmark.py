"""Speed, memory and FLOP accounting of one semi-supervised training step."""
from __future__ import annotations

import platform
import resource
import time
from collections import defaultdict
from contextlib import nullcontext
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper
from torch.utils.flop_counter import FlopCounterMode

from ..utils.flops import flop_count_of, flop_counter
from .fake_execution import FakeExecution
from .memory_tracker import StorageMemoryTracker
from .method_recorder import CallRecord, MethodCallRecorder

#: Names of the student passes of a SemiVL/UniMatch step, in call order: labeled + weak
#: images (with the feature-perturbed weak decode appended), then the CutMix-ed strong
#: views. Segmentors declare their own (``student_pass_names``); this is the fallback.
STUDENT_PASSES = ('labeled_weak_forward', 'strong_forward')
#: Parts of a SemiVL training step; ``other`` is the rest (losses, pseudo-labels, CutMix,
#: ...). Other segmentors get theirs from :func:`step_parts`.
STEP_PARTS = ('data_preprocessor', 'guidance', *STUDENT_PASSES, 'backward', 'optimizer_step',
              'other')
#: FLOPs by network component of a SemiVL step, comparable with the reference's cost table.
COMPONENTS = ('encoder_forward', 'decoder_forward', 'guidance_forward', 'backward')


def declared_parts(model: nn.Module) -> Dict[str, nn.Module]:
    """The networks a segmentor declares by role (``model.parts()``).

    Teacher-student segmentors declare ``student``, ``teacher`` and ``frozen.<name>``;
    any other model is its own student, with a ``guidance`` attribute as a frozen part.
    """
    if hasattr(model, 'parts'):
        return dict(model.parts())
    parts = {'student': model}
    if getattr(model, 'guidance', None) is not None:
        parts['frozen.guidance'] = model.guidance
    return parts


def _frozen_names(parts: Dict[str, nn.Module]) -> List[str]:
    return [name.split('.', 1)[1] for name in parts if name.startswith('frozen.')]


def _trained_extra_names(parts: Dict[str, nn.Module]) -> List[str]:
    """Further trained networks a segmentor declares (DUDA's ``heavy`` student)."""
    return [n for n in parts if n not in ('student', 'teacher') and not n.startswith('frozen.')]


def student_passes(model: nn.Module) -> Tuple[str, ...]:
    """Names of the student's passes in one step, as the segmentor declares them."""
    return tuple(getattr(model, 'student_pass_names', STUDENT_PASSES))


def step_parts(model: nn.Module) -> Tuple[str, ...]:
    """Parts of one training step of ``model`` (:data:`STEP_PARTS` for SemiVL).

    Returns:
        tuple[str, ...]: ``data_preprocessor``, one per frozen model (its name), ``teacher``
        (with a teacher), the student passes, ``backward``, ``optimizer_step``, ``other``.
    """
    parts = declared_parts(model)
    teacher = ('teacher', ) if 'teacher' in parts else ()
    return ('data_preprocessor', *_frozen_names(parts), *teacher, *_trained_extra_names(parts),
            *student_passes(model), 'backward', 'optimizer_step', 'other')


def components(model: nn.Module) -> Tuple[str, ...]:
    """Forward FLOPs by network (:data:`COMPONENTS` for SemiVL), and the backward."""
    parts = declared_parts(model)
    teacher = ('teacher_forward', ) if 'teacher' in parts else ()
    return ('encoder_forward', 'decoder_forward',
            *(f'{n}_forward' for n in _frozen_names(parts)), *teacher,
            *(f'{n}_forward' for n in _trained_extra_names(parts)), 'backward')


def _component_of(name: str) -> str:
    return dict(encoder='encoder_forward', decoder='decoder_forward').get(
        name, name if name == 'backward' else f'{name}_forward')


def watch_train_step(recorder: MethodCallRecorder, model: nn.Module,
                     optim_wrapper: OptimWrapper) -> MethodCallRecorder:
    """Watch the calls that make up ``model.train_step(data, optim_wrapper)``.

    The networks come from the segmentor's declared parts (:func:`declared_parts`).
    Records are named ``data_preprocessor``, one per frozen model (its name, e.g.
    ``guidance``), ``teacher`` (its encoder and decoder), ``encoder`` (the student's
    ``extract_feat``), ``decoder`` (the student's ``decode_head.forward``), ``backward``
    and ``optimizer_step`` (of the optim wrapper).
    """
    parts = declared_parts(model)
    recorder.watch('data_preprocessor', model.data_preprocessor, 'forward')
    for name in _frozen_names(parts):
        frozen = parts[f'frozen.{name}']
        recorder.watch(name, frozen, 'forward')
        if hasattr(frozen, 'extract_feat'):
            # A frozen segmentor used for its features (DAFormer's FD reference): nested
            # calls inside its forward count once (only outermost records are summed).
            recorder.watch(name, frozen, 'extract_feat')
    if 'teacher' in parts:
        recorder.watch('teacher', parts['teacher'], 'extract_feat')
        recorder.watch('teacher', parts['teacher'].decode_head, 'forward')
    for name in _trained_extra_names(parts):  # forward and no-grad passes of e.g. DUDA's heavy
        recorder.watch(name, parts[name], 'extract_feat')
        recorder.watch(name, parts[name].decode_head, 'forward')
    student = parts['student']
    recorder.watch('encoder', student, 'extract_feat')
    recorder.watch('decoder', student.decode_head, 'forward')
    recorder.watch('backward', optim_wrapper, 'backward')
    recorder.watch('optimizer_step', optim_wrapper, 'step')
    return recorder


def split_step(records: List[CallRecord], total: float, field: str,
               parts: Sequence[str] = STEP_PARTS,
               passes: Sequence[str] = STUDENT_PASSES) -> Dict[str, float]:
    """Sum one step's records into ``parts``.

    Every ``encoder`` call starts a new student pass (named by ``passes``, later ones
    ``student_forward_<i>``); ``decoder`` calls belong to the current pass. Only
    outermost calls count, so nothing is counted twice.

    Args:
        records (list[CallRecord]): The watched calls of one step (see
            :func:`watch_train_step`), in call order.
        total (float): The step's total (seconds or FLOPs); ``other`` = total - parts.
        field (str): ``'seconds'`` or ``'flops'``.
        parts (Sequence[str]): The step's parts, ``other`` last (:func:`step_parts`).
        passes (Sequence[str]): Names of the student passes (:func:`student_passes`).

    Returns:
        dict[str, float]: Value of every part, ``other`` last.
    """
    values: Dict[str, float] = dict.fromkeys(parts[:-1], 0.0)
    num_passes = 0
    for record in records:
        if record.depth:
            continue
        name = record.name
        if name in ('encoder', 'decoder'):
            num_passes += name == 'encoder'
            index = max(num_passes, 1) - 1
            name = passes[index] if index < len(passes) else f'student_forward_{index + 1}'
        values[name] = values.get(name, 0.0) + getattr(record, field)
    values['other'] = max(total - sum(values.values()), 0.0)
    return values


def shares(parts: Dict[str, float]) -> Dict[str, float]:
    """Each part's fraction of the sum of all parts."""
    total = sum(parts.values())
    return {k: (v / total if total else 0.0) for k, v in parts.items()}


def device_name(device: torch.device) -> str:
    """GPU name, or the CPU model name (as ``lscpu`` shows it) and the thread count."""
    if device.type == 'cuda':
        return torch.cuda.get_device_name(device)
    name = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            name = next(line.split(':', 1)[1].strip() for line in f
                        if line.startswith('model name'))
    except (OSError, StopIteration):
        pass
    return f'{name} ({torch.get_num_threads()} threads)'


class TrainStepBenchmark:
    """Times ``model.train_step`` and counts its FLOPs, split into the step's parts.

    The model and its optim wrapper are used as built (no code changes): the parts
    are found by temporarily wrapping methods (:class:`MethodCallRecorder`), the
    FLOPs by ``FlopCounterMode`` (matmuls, convolutions, attention; multiply-add = 2
    FLOPs). With a :class:`FakeExecution` whose fake weights the model holds, only
    FLOPs can be counted, but full-size models become countable on any machine.

    Args:
        model (nn.Module): A segmentor in training mode.
        optim_wrapper (OptimWrapper): Its optim wrapper.
        data_fn (Callable[[], dict]): Returns the next loader batch.
        batch_size (int): Loader samples per batch (labeled + unlabeled), for images/s.
        num_pairs (int, optional): Labeled + unlabeled image pairs per batch, for
            FLOPs per pair. Default: ``batch_size // 2``.
        fake_execution (FakeExecution, optional): Run the steps on fake tensors (the
            model must have been ``fakeify``-ed by it). Default: None (real steps).
    """

    def __init__(self,
                 model: nn.Module,
                 optim_wrapper: OptimWrapper,
                 data_fn: Callable[[], dict],
                 batch_size: int,
                 num_pairs: Optional[int] = None,
                 fake_execution: Optional[FakeExecution] = None) -> None:
        self.model = model
        self.optim_wrapper = optim_wrapper
        self.data_fn = data_fn
        self.batch_size = batch_size
        self.num_pairs = num_pairs or max(batch_size // 2, 1)
        self.device = next(model.parameters()).device
        self.fake_execution = fake_execution
        # What the segmentor declares, not what the call order suggests.
        self.parts = step_parts(model)
        self.passes = student_passes(model)
        self.components = components(model)

    def _sync(self) -> None:
        if self.device.type == 'cuda':
            torch.cuda.synchronize(self.device)

    def _recorder(self, flop_counter: Optional[FlopCounterMode] = None) -> MethodCallRecorder:
        recorder = MethodCallRecorder(sync=self._sync, flop_counter=flop_counter)
        return watch_train_step(recorder, self.model, self.optim_wrapper)

    def _step(self) -> None:
        self.model.train_step(self.data_fn(), self.optim_wrapper)

    def time(self, iters: int, warmup: int) -> Dict[str, Any]:
        """Run ``warmup`` untimed, then ``iters`` timed training steps.

        Returns:
            dict: ``sec_per_iter``, ``images_per_sec``, ``peak_memory_mb`` (GPU: peak
            allocated during the timed steps; CPU: peak RSS of the process),
            ``memory_kind``, ``time_parts`` (seconds per step) and ``time_shares``.
        """
        if self.fake_execution is not None:
            raise ValueError('steps on fake tensors cannot be timed; count FLOPs only')
        if iters < 1 or warmup < 0:
            raise ValueError(f'need iters >= 1 and warmup >= 0, got {iters} and {warmup}')
        for _ in range(warmup):
            self._step()
        self._sync()
        if self.device.type == 'cuda':
            torch.cuda.reset_peak_memory_stats(self.device)
        parts: Dict[str, float] = defaultdict(float)
        elapsed = 0.0
        for _ in range(iters):
            with self._recorder() as recorder:
                self._sync()
                start = time.perf_counter()
                self._step()
                self._sync()
                seconds = time.perf_counter() - start
            elapsed += seconds
            for name, value in split_step(recorder.records, seconds, 'seconds', self.parts,
                                          self.passes).items():
                parts[name] += value / iters
        sec_per_iter = elapsed / iters
        if self.device.type == 'cuda':
            memory, kind = torch.cuda.max_memory_allocated(self.device), 'cuda_max_allocated'
        else:
            # Linux reports ru_maxrss in KiB.
            memory, kind = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, 'cpu_max_rss'
        return dict(
            sec_per_iter=sec_per_iter,
            images_per_sec=self.batch_size / sec_per_iter,
            peak_memory_mb=memory / 2**20,
            memory_kind=kind,
            time_parts=dict(parts),
            time_shares=shares(parts))

    def count_flops(self) -> Dict[str, Any]:
        """Count the FLOPs of one training step (it is a real step: weights change).

        Returns:
            dict: ``flops_per_step``, ``flops_per_pair``, ``flop_parts`` and
            ``flop_shares`` (:func:`step_parts`), ``flops_by_component``
            (:func:`components`: forward FLOPs of each network, and the backward).
            No per-module backward split: PyTorch's module tracker does not attribute
            backward operations to modules reliably.
        """
        fake = self.fake_execution if self.fake_execution is not None else nullcontext()
        with fake, flop_counter() as counter:
            with self._recorder(counter) as recorder:
                self._step()
        count = flop_count_of(counter)
        parts = split_step(recorder.records, count.total, 'flops', self.parts, self.passes)
        by_component: Dict[str, float] = dict.fromkeys(self.components, 0)
        for record in recorder.records:
            component = _component_of(record.name)
            if record.depth == 0 and component in by_component:
                by_component[component] += record.flops
        return dict(
            flops_per_step=count.total,
            flops_per_pair=count.total / self.num_pairs,
            flop_parts=parts,
            flop_shares=shares(parts),
            flops_by_component=by_component)

    def estimate_memory(self, steps: int = 2) -> Dict[str, Any]:
        """Peak tensor memory of a training step, from storage lifetimes.

        Runs ``steps`` training steps under a :class:`StorageMemoryTracker` and reports
        the peak of the last one, when the optimizer state exists as in any later
        step. On fake tensors nothing is computed, so this estimates the
        ``torch.cuda.max_memory_allocated`` of a full-size step on any machine
        (boolean-mask selections are counted at their largest size).

        Returns:
            dict: ``peak_memory_estimate_mb`` (peak of the last step),
            ``memory_estimate_parts_mb``: ``weights`` (parameters and buffers,
            trainable and frozen), ``optimizer_state``, ``other_persistent`` (the
            rest alive between steps, e.g. cached partners) and ``step_transient``
            (activations, gradients and temporaries at the peak).
        """
        if steps < 1:
            raise ValueError(f'need steps >= 1, got {steps}')
        tracker = StorageMemoryTracker()
        fake = self.fake_execution if self.fake_execution is not None else nullcontext()
        with fake:
            weights = tracker.track(self.model.parameters(), self.model.buffers())
            with tracker:
                for _ in range(steps - 1):
                    self._step()
                tracker.reset_peak()
                persistent = tracker.current_bytes
                self._step()
            optimizer_state = tracker.bytes_of(
                t for state in self.optim_wrapper.optimizer.state.values()
                for t in state.values() if isinstance(t, torch.Tensor))
        mib = 2**20
        return dict(
            peak_memory_estimate_mb=tracker.peak_bytes / mib,
            memory_estimate_parts_mb=dict(
                weights=weights / mib,
                optimizer_state=optimizer_state / mib,
                other_persistent=(persistent - weights - optimizer_state) / mib,
                step_transient=(tracker.peak_bytes - persistent) / mib))

