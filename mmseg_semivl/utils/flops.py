"""FLOP counting of arbitrary callables with ``torch.utils.flop_counter.FlopCounterMode``."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Sequence, Tuple

import torch
from torch.utils.flop_counter import (FlopCounterMode, sdpa_backward_flop_count,
                                      sdpa_flop_count)

#: Key of FlopCounterMode's counts that covers every operation.
GLOBAL_KEY = 'Global'
Shape = Sequence[int]

aten = torch.ops.aten


def _cpu_attention_flops(query_shape: Shape, key_shape: Shape, value_shape: Shape, *args: Any,
                         **kwargs: Any) -> int:
    return sdpa_flop_count(query_shape, key_shape, value_shape)


def _cpu_attention_backward_flops(grad_out_shape: Shape, query_shape: Shape, key_shape: Shape,
                                  value_shape: Shape, *args: Any, **kwargs: Any) -> int:
    return sdpa_backward_flop_count(grad_out_shape, query_shape, key_shape, value_shape)


#: Formulas PyTorch's counter lacks: its CPU fused attention kernels would count 0
#: FLOPs, which hides ~1/6 of a ViT-B/16 at 512 px. Same counts as for the GPU kernels.
EXTRA_FLOP_FORMULAS: Dict[Any, Callable[..., int]] = {
    aten._scaled_dot_product_flash_attention_for_cpu: _cpu_attention_flops,
    aten._scaled_dot_product_flash_attention_for_cpu_backward: _cpu_attention_backward_flops,
}


def flop_counter() -> FlopCounterMode:
    """A silent ``FlopCounterMode`` that also counts CPU fused attention."""
    return FlopCounterMode(display=False, custom_mapping=EXTRA_FLOP_FORMULAS)


@dataclass
class FlopCount:
    """FLOPs of one call.

    FLOPs follow PyTorch's convention: a multiply-add is 2 FLOPs, so a (M, K) x (K, N)
    matmul costs ``2 * M * N * K``. Only matmuls, convolutions and attention are
    counted (element-wise work, norms and resizes are not), which is what dominates a
    ViT step and what hardware peak TFLOP/s figures refer to. Works on fake tensors
    (:class:`~mmseg_semivl.analysis.FakeExecution`), i.e. without doing the arithmetic.

    Attributes:
        total (int): All FLOPs of the call, forward and backward.
        by_module (dict[str, int]): FLOPs under every module that ran, keyed by
            FlopCounterMode's dotted module path, whose first part is the root
            module's class name (e.g. ``'SemiSupervisedSegmentor.student.backbone'``).
            Exact for forward passes; backward operations are attributed by PyTorch's module
            tracker, which can assign them to the wrong module.
    """

    total: int
    by_module: Dict[str, int] = field(default_factory=dict)

    def children(self, root: str) -> Dict[str, int]:
        """FLOPs of the direct children of the module path ``root``, by child name."""
        prefix = root + '.'
        return {
            name[len(prefix):]: flops
            for name, flops in self.by_module.items()
            if name.startswith(prefix) and '.' not in name[len(prefix):]
        }


def flop_count_of(counter: FlopCounterMode) -> FlopCount:
    """Summarise a (finished or running) ``FlopCounterMode`` as a :class:`FlopCount`."""
    by_module = {
        name: int(sum(ops.values()))
        for name, ops in counter.get_flop_counts().items() if name != GLOBAL_KEY
    }
    return FlopCount(total=int(counter.get_total_flops()), by_module=by_module)


def count_flops(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Tuple[Any, FlopCount]:
    """Run ``fn(*args, **kwargs)`` and count its FLOPs (backward included if it runs one).

    Args:
        fn (Callable): The work to count.
        *args, **kwargs: Its arguments.

    Returns:
        tuple: ``fn``'s return value and its :class:`FlopCount`.
    """
    with flop_counter() as counter:
        result = fn(*args, **kwargs)
    return result, flop_count_of(counter)
