"""Atomic file writing: a crash while saving never leaves a broken file behind.

A file written straight to its final path is truncated when the process dies in the
middle (pre-emption, out-of-memory, ``kill -9``). Here every write goes to a hidden
temporary sibling, is flushed to disk, and is then renamed over the target with
:func:`os.replace`, which is atomic on POSIX and Windows: readers see the old file or
the new one, never half.

Temporary names carry the host, the process id *and* a random token
(``.<name>.<host>.<pid>.<token>.tmp``): the process id alone repeats (the trainer is
process 1 in every container), and a temporary left by a killed run would then block
the next write. :func:`remove_stale_temporaries` deletes leftovers of killed runs.

Nothing here patches MMEngine: :class:`~mmseg_semivl.engine.hooks.AtomicCheckpointHook`
uses these helpers for checkpoints and the ``last_checkpoint`` pointer.
"""
from __future__ import annotations

import contextlib
import errno
import os
import os.path as osp
import re
import socket
import uuid
from typing import IO, Any, Callable, Iterator, List

import torch

TMP_SUFFIX = '.tmp'
#: errno values that mean "the data does not fit" (full disk, quota, file-size limit).
NO_SPACE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def temporary_name(path: str) -> str:
    """The hidden temporary sibling of ``path`` used while it is written.

    Args:
        path (str): The final file path.

    Returns:
        str: ``<folder>/.<name>.<host>.<pid>.<token>.tmp``, unique per call.
    """
    folder, name = osp.split(osp.abspath(path))
    host = ''.join(c if c.isalnum() or c == '-' else '-' for c in socket.gethostname()) or 'host'
    return osp.join(folder, f'.{name}.{host}.{os.getpid()}.{uuid.uuid4().hex[:12]}{TMP_SUFFIX}')


_TMP_PATTERNS = (
    re.compile(r'^\.(?P<target>.+)\.[A-Za-z0-9-]+\.\d+\.[0-9a-f]{12}\.tmp$'),  # this version
    re.compile(r'^\.(?P<target>.+)\.\d+\.tmp$'),  # earlier versions: .<name>.<pid>.tmp
)


def is_checkpoint_temporary(filename: str) -> bool:
    """Whether ``filename`` (a base name) is the temporary of a checkpoint or pointer.

    Matches :func:`temporary_name`'s names and the ``.<name>.<pid>.tmp`` names of
    earlier versions, for targets ``*.pth`` and ``last_checkpoint``.
    """
    for pattern in _TMP_PATTERNS:
        match = pattern.match(filename)
        if match:
            target = match.group('target')
            return target.endswith('.pth') or target == 'last_checkpoint'
    return False


def remove_stale_temporaries(folder: str) -> List[str]:
    """Delete checkpoint temporaries that killed runs left in ``folder``.

    Call it when no other process writes into ``folder`` (at the start of a run).

    Returns:
        list[str]: The removed paths.
    """
    if not osp.isdir(folder):
        return []
    removed = []
    for name in sorted(os.listdir(folder)):
        path = osp.join(folder, name)
        if is_checkpoint_temporary(name) and osp.isfile(path):
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
                removed.append(path)
    return removed


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
    tmp = temporary_name(path)
    try:
        with open(tmp, mode.replace('w', 'x', 1), **kwargs) as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise
    fsync_folder(folder)


def publish_file(tmp: str, path: str) -> None:
    """Flush an already written ``tmp`` to disk and rename it onto ``path`` atomically."""
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    fsync_folder(osp.dirname(osp.abspath(path)))


def fsync_folder(folder: str) -> None:
    """Persist renames in ``folder`` (POSIX); not possible (nor needed) on Windows."""
    if not hasattr(os, 'O_DIRECTORY'):
        return
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_open(file: Any, mode: str = 'r', *args: Any, **kwargs: Any) -> Any:
    """``open`` whose write mode ('w', 'wb') replaces the target atomically on close.

    Other modes are the builtin ``open``.
    """
    if mode.startswith('w') and isinstance(file, (str, os.PathLike)) and not args:
        return _atomic_file(os.fspath(file), mode, **kwargs)
    return open(file, mode, *args, **kwargs)


def atomic_save_checkpoint(checkpoint: dict, filename: str) -> None:
    """``torch.save`` a checkpoint to a local path atomically, streamed to disk.

    Args:
        checkpoint (dict): The checkpoint content.
        filename (str): Target path.
    """
    atomic_write(str(filename), lambda file: torch.save(checkpoint, file))


def is_no_space_error(error: BaseException) -> bool:
    """Whether ``error`` means the disk (or quota, or file-size limit) is full."""
    return isinstance(error, OSError) and error.errno in NO_SPACE_ERRNOS
