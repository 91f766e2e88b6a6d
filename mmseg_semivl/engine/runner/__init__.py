"""Runner-level helpers: random-state snapshots, atomic files, resume choice, config checks,
schedule lengths in epochs of one source (SourceEpochTrainLoop)."""
from .atomic_checkpoint import atomic_save_checkpoint, atomic_write, remove_stale_temporaries
from .config_checks import ConfigArgumentError, check_class_vocabulary, check_run_config
from .epoch_length import SourceEpochTrainLoop, iterations_for_epochs
from .random_state import get_random_state, set_random_state
from .resume import ResumeError, check_resume_file, is_complete_checkpoint, resolve_resume

__all__ = [
    'ConfigArgumentError', 'ResumeError', 'SourceEpochTrainLoop', 'atomic_save_checkpoint',
    'atomic_write', 'check_class_vocabulary', 'check_resume_file', 'check_run_config',
    'get_random_state', 'is_complete_checkpoint', 'iterations_for_epochs',
    'remove_stale_temporaries', 'resolve_resume', 'set_random_state'
]
