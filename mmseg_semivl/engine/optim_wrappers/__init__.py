"""Optimizer wrappers guarding training against non-finite steps."""
from .non_finite_guard import (NonFiniteSkipAmpOptimWrapper, NonFiniteSkipOptimWrapper,
                               NonFiniteStepError, skipped_steps)

__all__ = [
    'NonFiniteSkipAmpOptimWrapper', 'NonFiniteSkipOptimWrapper', 'NonFiniteStepError',
    'skipped_steps'
]
