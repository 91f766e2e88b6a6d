from .atomic_checkpoint_hook import AtomicCheckpointHook, CheckpointWriteError  # noqa: F401
from .exact_resume_hook import ExactResumeHook  # noqa: F401
from .visualization_hook import SemiVLVisualizationHook  # noqa: F401
from .checkpoint_compatibility_hook import CheckpointCompatibilityHook  # noqa: F401
from .setup_check_hook import SetupCheckHook  # noqa: F401
from .ema_teacher_hook import EMATeacherHook  # noqa: F401
from .plain_checkpoint_state_hook import (PlainCheckpointStateHook,  # noqa: F401
                                          ensure_plain_checkpoint_state)
