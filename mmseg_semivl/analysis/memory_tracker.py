"""Peak tensor memory of a piece of code, from the lifetimes of tensor storages.

Works on real tensors and on fake ones (:class:`FakeExecution`), so the peak memory of a
full-size training step can be estimated on a machine that could never run it.
"""
from __future__ import annotations

import weakref
from contextlib import ExitStack, contextmanager
from typing import Any, Dict, Iterable, Iterator, Optional

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

#: The CUDA caching allocator hands out blocks in multiples of 512 bytes, and
#: ``torch.cuda.max_memory_allocated`` counts those blocks.
CUDA_BLOCK_BYTES = 512


def _round_up(nbytes: int, block: int) -> int:
    return -(-nbytes // block) * block


class StorageMemoryTracker(TorchDispatchMode):
    """Counts the bytes of live tensor storages, and their peak, while it is active.

    Every storage produced by an operation inside the ``with`` block is counted from
    its creation until it is freed (a weak-reference finaliser, so autograd's saved
    tensors, caches and optimizer state count exactly as long as they live). Views
    and in-place results share a storage and are counted once. Tensors that existed
    before (weights, buffers) are added with :meth:`track`. The numbers mirror
    ``torch.cuda.memory_allocated`` / ``max_memory_allocated`` (sizes rounded to the
    allocator's 512-byte blocks); allocator fragmentation, the CUDA context and
    library workspaces are not tensors and are not counted.

    Args:
        block_bytes (int): Round every storage up to a multiple of this.
            Default: :data:`CUDA_BLOCK_BYTES`.
        device_type (str, optional): Count only storages on this device type
            ('cpu', 'cuda'). Default: None (all).

    Example::

        tracker = StorageMemoryTracker()
        tracker.track(model.parameters(), model.buffers())
        with tracker:
            model.train_step(batch, optim_wrapper)
        print(tracker.peak_bytes)
    """

    def __init__(self, block_bytes: int = CUDA_BLOCK_BYTES,
                 device_type: Optional[str] = None) -> None:
        super().__init__()
        self.block_bytes = block_bytes
        self.device_type = device_type
        self.current_bytes = 0
        self.peak_bytes = 0
        # id(storage) -> counted bytes; the finaliser removes the entry when the
        # storage dies (before its id can be reused).
        self._live: Dict[int, int] = {}

    def track(self, *tensors: Iterable[Tensor]) -> int:
        """Count the storages of already existing tensors; returns the bytes added."""
        added = 0
        for group in tensors:
            for tensor in group:
                added += self._add(tensor)
        return added

    def reset_peak(self) -> None:
        """Start a new peak from the bytes alive now."""
        self.peak_bytes = self.current_bytes

    def bytes_of(self, *tensors: Iterable[Tensor]) -> int:
        """Counted bytes of the distinct storages behind ``tensors`` (tracked or not)."""
        seen: Dict[int, int] = {}
        for group in tensors:
            for tensor in group:
                storage = self._storage(tensor)
                if storage is not None:
                    seen[id(storage)] = _round_up(storage.nbytes(), self.block_bytes)
        return sum(seen.values())

    def _storage(self, tensor: Any) -> Optional[torch.UntypedStorage]:
        if not isinstance(tensor, Tensor) or tensor.is_sparse:
            return None
        if self.device_type is not None and tensor.device.type != self.device_type:
            return None
        try:
            return tensor.untyped_storage()
        except (RuntimeError, NotImplementedError):  # tensors without storage
            return None

    def _add(self, tensor: Any) -> int:
        storage = self._storage(tensor)
        if storage is None or id(storage) in self._live:
            return 0
        nbytes = _round_up(storage.nbytes(), self.block_bytes)
        if nbytes == 0:
            return 0
        key = id(storage)
        self._live[key] = nbytes
        weakref.finalize(storage, self._release, key)
        self.current_bytes += nbytes
        self.peak_bytes = max(self.peak_bytes, self.current_bytes)
        return nbytes

    def _release(self, key: int) -> None:
        self.current_bytes -= self._live.pop(key, 0)

    def __torch_dispatch__(self, func: Any, types: Any, args: tuple = (),
                           kwargs: Optional[dict] = None) -> Any:
        out = func(*args, **(kwargs or {}))
        for tensor in tree_flatten(out)[0]:
            self._add(tensor)
        return out


#: Operations that CUDA autocast runs in fp32 but CPU autocast leaves in bf16, and
#: that keep large activations (normalisation outputs, softmax maps): as
#: ``torch.nn.functional`` names. The rest of the two autocast policies agree for
#: what our models do (matmuls, convolutions and attention in bf16; losses in fp32).
CUDA_FP32_FUNCTIONS = ('layer_norm', 'group_norm', 'softmax', 'log_softmax')


def _to_fp32(value: Any) -> Any:
    if isinstance(value, Tensor) and value.is_floating_point():
        return value.float()
    return value


@contextmanager
def cuda_fp32_policy() -> Iterator[None]:
    """While CPU autocast is on, run :data:`CUDA_FP32_FUNCTIONS` in fp32, like CUDA autocast.

    Fake CUDA tensors cannot run a backward pass without a GPU, so GPU memory is
    estimated on (fake) CPU tensors. CPU autocast runs normalisations and softmax in
    bf16, where CUDA autocast computes and stores them in fp32; inside this context
    those ``torch.nn.functional`` functions cast their floating-point inputs to fp32
    whenever CPU autocast is enabled (an explicit ``dtype`` is kept, as CUDA does).
    Keep it active through the backward: activation checkpointing recomputes the
    forward there, under the autocast state of the original forward.
    """

    def fp32_inputs(function: Any) -> Any:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if torch.is_autocast_enabled('cpu') and kwargs.get('dtype') is None:
                args = tuple(_to_fp32(a) for a in args)
                kwargs = {k: _to_fp32(v) for k, v in kwargs.items()}
            return function(*args, **kwargs)
        return wrapped

    with ExitStack() as stack:
        for name in CUDA_FP32_FUNCTIONS:
            function = getattr(F, name)
            setattr(F, name, fp32_inputs(function))
            stack.callback(setattr, F, name, function)
        yield


@contextmanager
def cuda_like_autocast(dtype: torch.dtype = torch.bfloat16) -> Iterator[None]:
    """CPU autocast that casts like CUDA autocast (:func:`cuda_fp32_policy`)."""
    with cuda_fp32_policy(), torch.autocast('cpu', dtype=dtype):
        yield


def emulate_cuda_amp(optim_wrapper: Any, dtype: torch.dtype = torch.bfloat16) -> Any:
    """Give a (non-AMP) optim wrapper the casting of a bf16 ``AmpOptimWrapper`` on CPU.

    ``AmpOptimWrapper`` cannot be built without a GPU; for a bf16 memory estimate on
    CPU the forward runs under :func:`cuda_like_autocast`, exactly where
    ``AmpOptimWrapper.optim_context`` enters autocast, and the backward under
    :func:`cuda_fp32_policy` (for checkpointed recomputation). bf16 needs no loss
    scaling, so the backward and the step are otherwise the plain wrapper's. Patches
    the instance only.
    """
    plain_context, plain_backward = optim_wrapper.optim_context, optim_wrapper.backward

    @contextmanager
    def optim_context(model: torch.nn.Module) -> Iterator[None]:
        with plain_context(model), cuda_like_autocast(dtype):
            yield

    def backward(loss: Tensor, **kwargs: Any) -> None:
        with cuda_fp32_policy():
            plain_backward(loss, **kwargs)

    optim_wrapper.optim_context = optim_context
    optim_wrapper.backward = backward
    return optim_wrapper
