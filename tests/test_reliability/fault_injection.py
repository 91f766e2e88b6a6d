"""Test-only hooks that inject faults into a training process at a defined point.

Loaded into ``tools/train.py`` subprocesses through ``custom_imports`` (the test puts
this folder on ``PYTHONPATH``), so the fault happens in the real tool, deterministically:

* :class:`KillInsideCheckpointWriteHook` - the process SIGKILLs itself in the middle of
  writing the file whose name contains ``target`` (half of the bytes are on disk), the
  moment a pre-emption or the OOM killer could hit.
* :class:`FileSizeLimitHook` - after iteration ``after_iter`` the process may write no
  file larger than ``limit_bytes`` (``RLIMIT_FSIZE``): the next checkpoint write fails
  as on a full disk (``EFBIG`` instead of ``ENOSPC``).
"""
import os
import resource
import signal

from mmengine.fileio import LocalBackend
from mmengine.hooks import Hook
from mmseg.registry import HOOKS


@HOOKS.register_module(force=True)
class KillInsideCheckpointWriteHook(Hook):
    """SIGKILL the process after writing ``fraction`` of the file named like ``target``.

    Args:
        target (str): Substring of the base name being written (temporaries carry the
            final name, e.g. ``.iter_3.pth.<host>.<pid>.<token>.tmp``).
        fraction (float): Share of the bytes written before the kill.
    """

    def __init__(self, target: str, fraction: float = 0.5) -> None:
        self.target = target
        self.fraction = fraction

    def before_run(self, runner) -> None:
        original_put = LocalBackend.put
        target, fraction = self.target, self.fraction

        def put(backend, obj, filepath):
            if target in os.path.basename(str(filepath)):
                with open(filepath, 'wb') as file:
                    file.write(obj[:int(len(obj) * fraction)])
                    file.flush()
                    os.fsync(file.fileno())
                os.kill(os.getpid(), signal.SIGKILL)
            return original_put(backend, obj, filepath)

        # Fault injection in a throw-away test process only.
        LocalBackend.put = put


@HOOKS.register_module(force=True)
class FileSizeLimitHook(Hook):
    """Limit the size of every file written after iteration ``after_iter``.

    Args:
        after_iter (int): The 1-based iteration after whose checkpoint the limit starts.
        limit_bytes (int): The largest file the process may then write.
    """

    priority = 'LOWEST'  # after the checkpoint hook of the same iteration

    def __init__(self, after_iter: int, limit_bytes: int) -> None:
        self.after_iter = after_iter
        self.limit_bytes = limit_bytes

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if runner.iter + 1 == self.after_iter:
            # Without SIG_IGN the kernel kills the process (SIGXFSZ) instead of failing
            # the write with EFBIG.
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
            resource.setrlimit(resource.RLIMIT_FSIZE, (self.limit_bytes, hard))
