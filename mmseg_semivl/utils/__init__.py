"""FLOP counting, synthetic batches and a config walker (the profiling tools are in
:mod:`mmseg_semivl.analysis`)."""
from .config_nodes import visit_dicts
from .flops import (EXTRA_FLOP_FORMULAS, FlopCount, count_flops, flop_count_of,
                    flop_counter)
from .synthetic_batch import make_synthetic_semi_batch

__all__ = [
    'EXTRA_FLOP_FORMULAS', 'FlopCount', 'count_flops', 'flop_count_of', 'flop_counter',
    'make_synthetic_semi_batch', 'visit_dicts'
]
