"""Timing and FLOP accounting of method calls by wrapping the methods temporarily."""
from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from typing import Any, Callable, List, Optional, Tuple

from torch.utils.flop_counter import FlopCounterMode


@dataclass
class CallRecord:
    """One recorded call.

    Attributes:
        name (str): The name the method was watched under.
        seconds (float): Wall time of the call (after ``sync`` on both ends).
        flops (int): FLOPs counted during the call; 0 without a FLOP counter.
        depth (int): Number of watched calls it ran inside (0 = outermost).
    """

    name: str
    seconds: float
    flops: int
    depth: int


class MethodCallRecorder:
    """Records every call of chosen methods of live objects, without changing their code.

    Inside the ``with`` block each watched method is shadowed by an instance attribute
    that times the call (and reads a running :class:`FlopCounterMode` before and after
    it); leaving the block restores the objects exactly. This splits a training step
    (``model.train_step``) into parts such as the guidance forward, each student pass
    and the backward, while the model stays untouched.

    Example::

        recorder = MethodCallRecorder()
        recorder.watch('encoder', model, 'extract_feat')
        with recorder:
            model.train_step(data, optim_wrapper)
        recorder.records  # [CallRecord('encoder', ...), CallRecord('encoder', ...)]

    Args:
        sync (Callable, optional): Called before reading the clock, e.g.
            ``torch.cuda.synchronize`` so that asynchronous GPU work is attributed to
            the call that launched it. Default: None (CPU).
        flop_counter (FlopCounterMode, optional): An active counter to read FLOPs from.
    """

    def __init__(self,
                 sync: Optional[Callable[[], None]] = None,
                 flop_counter: Optional[FlopCounterMode] = None) -> None:
        self.sync = sync or (lambda: None)
        self.flop_counter = flop_counter
        self.records: List[CallRecord] = []
        self._targets: List[Tuple[str, Any, str]] = []
        self._saved: List[Tuple[Any, str, bool, Any]] = []
        self._depth = 0

    def watch(self, name: str, owner: Any, method: str) -> 'MethodCallRecorder':
        """Record calls of ``owner.<method>`` under ``name`` (takes effect on entering)."""
        if not callable(getattr(owner, method, None)):
            raise AttributeError(f'{type(owner).__name__} has no method {method!r} to watch '
                                 f'(for {name!r})')
        if self._saved:
            raise RuntimeError('watch() must be called before entering the recorder')
        self._targets.append((name, owner, method))
        return self

    def _flops(self) -> int:
        return 0 if self.flop_counter is None else int(self.flop_counter.get_total_flops())

    def _wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            self.sync()
            start, flops = time.perf_counter(), self._flops()
            depth = self._depth
            self._depth += 1
            try:
                return fn(*args, **kwargs)
            finally:
                self._depth -= 1
                self.sync()
                self.records.append(
                    CallRecord(name, time.perf_counter() - start, self._flops() - flops, depth))

        return wrapper

    def __enter__(self) -> 'MethodCallRecorder':
        for name, owner, method in self._targets:
            # Only an attribute of the instance itself is restored as such; a class
            # method is restored by deleting the shadowing instance attribute.
            own = method in vars(owner)
            self._saved.append((owner, method, own, vars(owner).get(method)))
            setattr(owner, method, self._wrap(name, getattr(owner, method)))
        return self

    def __exit__(self, *exc_info: Any) -> None:
        for owner, method, own, original in reversed(self._saved):
            if own:
                setattr(owner, method, original)
            else:
                delattr(owner, method)
        self._saved.clear()
