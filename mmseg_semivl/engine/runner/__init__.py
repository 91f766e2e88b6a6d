"""Runner-level helpers: random-state snapshots and atomic checkpoint writing."""
from .atomic_checkpoint import atomic_save_checkpoint, atomic_write
from .random_state import get_random_state, set_random_state

__all__ = ['atomic_save_checkpoint', 'atomic_write', 'get_random_state', 'set_random_state']
