"""Running a training step on fake tensors (shapes only) despite data-dependent operations."""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional

import torch
import torch.nn as nn
from torch._subclasses.fake_tensor import FakeTensor, FakeTensorMode
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_any
from torch.utils.weak import WeakIdKeyDictionary

aten = torch.ops.aten
Tensor = torch.Tensor


def _scalar(tensor: Tensor) -> Any:
    # 1 keeps denominators non-zero. Booleans from any()/all() are answered by
    # _StandInMode; other booleans read False.
    if tensor.dtype == torch.bool:
        return False
    return 1.0 if tensor.dtype.is_floating_point else 1


def _nonzero(tensor: Tensor) -> Tensor:
    # Every element counts as non-zero: the largest (worst-case) result.
    return torch.zeros(tensor.numel(), tensor.dim(), dtype=torch.long, device=tensor.device)


def _all_true_indices(indices: List[Optional[Tensor]]) -> List[Optional[Tensor]]:
    """Replace boolean masks by the integer indices of an all-true mask of their shape."""
    out: List[Optional[Tensor]] = []
    for index in indices:
        if index is not None and index.dtype == torch.bool:
            out.extend(_nonzero(index).unbind(1))
        else:
            out.append(index)
    return out


def _index(tensor: Tensor, indices: List[Optional[Tensor]]) -> Tensor:
    return aten.index.Tensor(tensor, _all_true_indices(indices))


def _index_put(tensor: Tensor, indices: List[Optional[Tensor]], values: Tensor,
               accumulate: bool = False) -> Tensor:
    return aten.index_put.default(tensor, _all_true_indices(indices), values, accumulate)


def _index_put_(tensor: Tensor, indices: List[Optional[Tensor]], values: Tensor,
                accumulate: bool = False) -> Tensor:
    return aten.index_put_.default(tensor, _all_true_indices(indices), values, accumulate)


def _bincount(tensor: Tensor, weights: Optional[Tensor] = None, minlength: int = 0) -> Tensor:
    dtype = torch.long if weights is None else weights.dtype
    return torch.ones(max(minlength, 1), dtype=dtype, device=tensor.device)


def _unique2(tensor: Tensor, sorted: bool = True, return_inverse: bool = False,
             return_counts: bool = False) -> tuple:
    # Two distinct values (e.g. ClassMix's classes of a label map: then one is drawn).
    values = torch.zeros(2, dtype=tensor.dtype, device=tensor.device)
    inverse = torch.zeros(tensor.shape if return_inverse else (0, ), dtype=torch.long,
                          device=tensor.device)
    counts = torch.ones(2 if return_counts else 0, dtype=torch.long, device=tensor.device)
    return values, inverse, counts


#: Stand-ins for the operations whose result (or its shape) depends on tensor values.
DATA_DEPENDENT_OPS: Dict[Any, Callable[..., Any]] = {
    aten._local_scalar_dense.default: _scalar,  # .item(), bool(tensor), float(tensor)
    aten.equal.default: lambda a, b: False,
    aten.nonzero.default: _nonzero,
    aten.index.Tensor: _index,  # boolean-mask indexing
    aten.index_put.default: _index_put,
    aten.index_put_.default: _index_put_,
    aten.bincount.default: _bincount,
    aten._unique2.default: _unique2,  # torch.unique (ClassMix)
}


#: Reductions whose (boolean) result is assumed to be that of a healthy run: checks
#: read like ``all(finite)`` -> True and ``any(invalid)`` -> False.
ASSUMED_REDUCTIONS = {aten.all: True, aten.any: False}


class _StandInMode(TorchDispatchMode):
    """Sends the operations of :data:`DATA_DEPENDENT_OPS` on fake tensors to stand-ins."""

    def __init__(self) -> None:
        super().__init__()
        # Results of any()/all() on fake tensors -> the value a read-back returns.
        self._assumed: WeakIdKeyDictionary = WeakIdKeyDictionary()

    def __torch_dispatch__(self, func: Any, types: Any, args: tuple = (),
                           kwargs: Optional[dict] = None) -> Any:
        kwargs = kwargs or {}
        if not tree_any(lambda x: isinstance(x, FakeTensor), (args, kwargs)):
            return func(*args, **kwargs)
        if func is aten._local_scalar_dense.default and args[0] in self._assumed:
            return self._assumed[args[0]]
        stand_in = DATA_DEPENDENT_OPS.get(func)
        if stand_in is not None:
            return stand_in(*args, **kwargs)
        out = func(*args, **kwargs)
        if func.overloadpacket in ASSUMED_REDUCTIONS:
            self._assumed[out] = ASSUMED_REDUCTIONS[func.overloadpacket]
        return out


class FakeExecution:
    """Runs a model on fake tensors: shapes, dtypes and devices, but no arithmetic.

    Full-size models can so be pushed through a complete training step on any machine
    in seconds, e.g. to count their FLOPs with ``FlopCounterMode`` (which only needs
    shapes). Fake tensors keep their device (``cpu``/``cuda``), so device-dependent
    code (autocast, ``.to(device)``) runs as usual, unlike on the ``meta`` device.

    Values are unknown, so operations that depend on them get stand-ins
    (:data:`DATA_DEPENDENT_OPS`): numbers read back (``.item()``) are 1, booleans
    read back from ``all()`` / ``any()`` are those of a healthy run
    (:data:`ASSUMED_REDUCTIONS`: ``all(finite)`` holds, ``any(invalid)`` does not),
    other booleans and ``torch.equal`` are ``False``, boolean masks select every
    element.
    In a segmentation training step only bookkeeping (loss normalisers, accuracy,
    sanity checks) reads values, so the matmuls, convolutions and attention are those
    of a real step (boolean-mask selections at their largest size). Results are
    meaningless.

    Example::

        execution = FakeExecution()
        execution.fakeify(model)  # weights become fake, the real ones are freed
        with execution, FlopCounterMode() as counter:
            model.train_step(batch, optim_wrapper)
    """

    def __init__(self) -> None:
        # Real inputs (a loader batch) are converted to fake on first use.
        self.fake_mode = FakeTensorMode(allow_non_fake_inputs=True)
        self._stand_ins = _StandInMode()

    def fakeify(self, module: nn.Module) -> nn.Module:
        """Replace every parameter and buffer of ``module`` by a fake one, in place."""
        for submodule in module.modules():
            for name, param in submodule._parameters.items():
                if param is not None and not isinstance(param, FakeTensor):
                    submodule._parameters[name] = nn.Parameter(
                        self.fake_mode.from_tensor(param.detach()),
                        requires_grad=param.requires_grad)
            for name, buffer in submodule._buffers.items():
                if buffer is not None and not isinstance(buffer, FakeTensor):
                    submodule._buffers[name] = self.fake_mode.from_tensor(buffer)
        return module

    def __enter__(self) -> 'FakeExecution':
        self.fake_mode.__enter__()
        self._stand_ins.__enter__()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._stand_ins.__exit__(*exc_info)
        self.fake_mode.__exit__(*exc_info)
