"""Atomic checkpoint writing: a crash while saving never leaves a broken file behind.

MMEngine writes a checkpoint straight to its final path (``LocalBackend.put``) and
then overwrites ``<work_dir>/last_checkpoint`` in place. A process killed in between
(pre-emption, out-of-memory, Ctrl-C) leaves a truncated ``.pth`` or an empty
``last_checkpoint`` - with the latter ``--resume`` silently restarts from scratch.

Here every local write goes to a hidden temporary file in the *same* folder, is
flushed to disk, and is then renamed over the target with :func:`os.replace`, which
is atomic on POSIX and Windows: readers see the old file or the new one, never half.
:func:`apply` installs this for every entry point (tools, ``Runner.save_checkpoint``,
``CheckpointHook`` incl. best checkpoints); remote backends are left untouched.
"""
from __future__ import annotations

import builtins
import contextlib
import os
import os.path as osp
from typing import IO, Any, Callable, Iterator, Optional

import torch

_ORIGINAL_SAVE = '_semivl_original_save_checkpoint'


def atomic_write(path: str, write: Callable[[IO], Any], binary: bool = True) -> None:
    """Write a file through a temporary sibling and an atomic rename.

    Args:
        path (str): Final file path; its folder is created if needed.
        write (Callable[[IO], Any]): Writes the content into the open file object.
        binary (bool): Open the temporary file in binary mode.

    Raises:
        BaseException: Whatever ``write`` raises; the temporary file is removed and
            an existing ``path`` is left exactly as it was.
    """
    with _atomic_file(path, 'wb' if binary else 'w') as file:
        write(file)


@contextlib.contextmanager
def _atomic_file(path: str, mode: str, **kwargs: Any) -> Iterator[IO]:
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    # Same folder = same file system, the condition for os.replace to be atomic.
    # 'x' respects the umask (unlike tempfile.mkstemp's 0600) and never clobbers.
    tmp = osp.join(folder, f'.{osp.basename(path)}.{os.getpid()}.tmp')
    try:
        with builtins.open(tmp, mode.replace('w', 'x', 1), **kwargs) as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise
    _fsync_folder(folder)


def _fsync_folder(folder: str) -> None:
    # Persist the rename itself (POSIX); not possible (nor needed) on Windows.
    if not hasattr(os, 'O_DIRECTORY'):
        return
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_open(file: Any, mode: str = 'r', *args: Any, **kwargs: Any) -> Any:
    """``open`` whose write mode ('w', 'wb') replaces the target atomically on close.

    Other modes are the builtin ``open``. Used as the module-level ``open`` of
    MMEngine's checkpoint hook, which rewrites ``last_checkpoint`` with it.
    """
    if mode.startswith('w') and isinstance(file, (str, os.PathLike)) and not args:
        return _atomic_file(os.fspath(file), mode, **kwargs)
    return builtins.open(file, mode, *args, **kwargs)


def _is_local(filename: str, backend_args: Optional[dict]) -> bool:
    from mmengine.fileio import LocalBackend, get_file_backend
    if '://' in str(filename):
        return False
    return isinstance(get_file_backend(filename, backend_args=backend_args), LocalBackend)


def atomic_save_checkpoint(checkpoint: dict,
                           filename: str,
                           file_client_args: Optional[dict] = None,
                           backend_args: Optional[dict] = None) -> None:
    """Drop-in for :func:`mmengine.runner.checkpoint.save_checkpoint`, atomic on disk.

    Local paths are written with :func:`atomic_write` (streamed, so the checkpoint is
    not held in memory twice as MMEngine's ``BytesIO`` path does); other backends
    (``pavi://``, ``s3://``, custom ``file_client_args``) use MMEngine's function.

    Args:
        checkpoint (dict): The checkpoint content.
        filename (str): Target path or URI.
        file_client_args (dict, optional): Deprecated MMEngine file-client arguments.
        backend_args (dict, optional): MMEngine file-backend arguments.
    """
    from mmengine.runner import checkpoint as mmengine_checkpoint
    if file_client_args is None and _is_local(filename, backend_args):
        atomic_write(str(filename), lambda file: torch.save(checkpoint, file))
        return
    original = getattr(mmengine_checkpoint, _ORIGINAL_SAVE,
                       mmengine_checkpoint.save_checkpoint)
    original(checkpoint, filename, file_client_args=file_client_args,
             backend_args=backend_args)


def apply() -> None:
    """Make MMEngine's checkpoint writing atomic for every entry point (idempotent).

    Replaces ``save_checkpoint`` where MMEngine looks it up (its ``checkpoint`` module,
    ``mmengine.runner`` and the ``runner`` module that ``Runner.save_checkpoint``
    calls) and gives ``mmengine.hooks.checkpoint_hook`` an atomic ``open`` for the
    ``last_checkpoint`` pointer file.
    """
    import mmengine.hooks.checkpoint_hook as checkpoint_hook_module
    import mmengine.runner as runner_package
    import mmengine.runner.checkpoint as checkpoint_module
    import mmengine.runner.runner as runner_module

    if not hasattr(checkpoint_module, _ORIGINAL_SAVE):
        setattr(checkpoint_module, _ORIGINAL_SAVE, checkpoint_module.save_checkpoint)
    for module in (checkpoint_module, runner_package, runner_module):
        module.save_checkpoint = atomic_save_checkpoint
    checkpoint_hook_module.open = atomic_open
