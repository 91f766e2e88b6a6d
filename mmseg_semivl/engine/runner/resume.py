"""Choose the checkpoint that ``--resume`` continues, and say why.

MMEngine's auto-resume trusts ``<work_dir>/last_checkpoint`` blindly: an empty pointer
gives "Auto resumed from the latest checkpoint ." and then ``FileNotFoundError``, a
pointer to a deleted or truncated file fails while loading, and a work dir without
any checkpoint silently trains from scratch. :func:`resolve_resume` checks the pointer
and falls back to the newest *complete* checkpoint of the folder, saying so.

A checkpoint counts as complete when it is a readable zip archive (``torch.save``'s
format since torch 1.6): the archive's directory is written last, so a file cut short
by a kill or a full disk has none. Only the directory is read, not the tensors.
"""
from __future__ import annotations

import os
import os.path as osp
import re
import zipfile
from typing import List, NamedTuple, Optional

LAST_CHECKPOINT = 'last_checkpoint'
_STEP = re.compile(r'(?:iter|epoch)_(\d+)\.pth$')


class ResumeError(RuntimeError):
    """``--resume PATH`` names a file that cannot be resumed (missing or truncated)."""


class ResumeChoice(NamedTuple):
    """What :func:`resolve_resume` decided.

    Attributes:
        checkpoint (str, optional): The file to resume, None to start from scratch.
        message (str): One line saying what was chosen and why.
        fallback (bool): True when the choice is not what ``last_checkpoint`` names
            (or nothing was found), i.e. the message deserves a warning.
    """

    checkpoint: Optional[str]
    message: str
    fallback: bool


def is_complete_checkpoint(path: str) -> bool:
    """Whether ``path`` is a checkpoint file that was written to the end.

    Args:
        path (str): A ``.pth`` file.

    Returns:
        bool: True for a readable ``torch.save`` zip archive with at least one entry.
    """
    if not osp.isfile(path):
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            return bool(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def complete_checkpoints(folder: str) -> List[str]:
    """Complete ``iter_N.pth`` / ``epoch_N.pth`` files in ``folder``, newest first.

    Best checkpoints (``best_*.pth``) are left out: they hold no optimizer or
    schedule state, so a run cannot continue from them.
    """
    if not osp.isdir(folder):
        return []
    found = []
    for name in os.listdir(folder):
        match = _STEP.fullmatch(name) if not name.startswith('best_') else None
        path = osp.join(folder, name)
        if match and is_complete_checkpoint(path):
            found.append((int(match.group(1)), osp.getmtime(path), path))
    return [path for _, _, path in sorted(found, reverse=True)]


def _read_pointer(work_dir: str) -> Optional[str]:
    pointer = osp.join(work_dir, LAST_CHECKPOINT)
    if not osp.isfile(pointer):
        return None
    with open(pointer) as file:
        return file.read().strip()


def resolve_resume(work_dir: str) -> ResumeChoice:
    """The checkpoint that ``--resume`` (without a path) should continue.

    Args:
        work_dir (str): The run's work dir (holds ``last_checkpoint``).

    Returns:
        ResumeChoice: The file named by ``last_checkpoint`` if it is complete; else the
        newest complete checkpoint of ``work_dir`` (and the folder the pointer names);
        else None, with a message that training starts from scratch.
    """
    pointer = osp.join(work_dir, LAST_CHECKPOINT)
    named = _read_pointer(work_dir)
    if named and is_complete_checkpoint(named):
        return ResumeChoice(named, f'Resuming from {named} (named by {pointer}).', False)
    if named is None:
        problem = f'{pointer} does not exist'
    elif not named:
        problem = f'{pointer} is empty'
    elif not osp.exists(named):
        problem = f'{pointer} names {named}, which does not exist'
    else:
        problem = f'{pointer} names {named}, which is truncated or not a checkpoint'
    folders = [work_dir] + ([osp.dirname(named)] if named and osp.dirname(named) else [])
    candidates: List[str] = []
    for folder in dict.fromkeys(osp.abspath(f) for f in folders):
        candidates += complete_checkpoints(folder)
    if candidates:
        newest = max(candidates, key=_order)
        return ResumeChoice(newest, f'{problem}; resuming from the newest complete '
                            f'checkpoint {newest} instead.', True)
    return ResumeChoice(None, f'--resume: nothing to resume in {work_dir} ({problem} and no '
                        'complete iter_*.pth/epoch_*.pth is there); training starts FROM '
                        'SCRATCH.', True)


def check_resume_file(path: str) -> str:
    """Validate an explicit ``--resume PATH`` before anything is built.

    Args:
        path (str): The checkpoint the user named.

    Returns:
        str: ``path``.

    Raises:
        ResumeError: One line naming ``path``, what is wrong with it, and the newest
            complete checkpoint in its folder (if any).
    """
    if '://' in str(path) or is_complete_checkpoint(path):
        return path  # remote files are checked by their backend when loaded
    problem = ('does not exist' if not osp.exists(path) else
               'is a folder' if osp.isdir(path) else
               'is truncated or not a checkpoint (no complete zip archive)')
    folder = osp.dirname(osp.abspath(path))
    alternatives = [c for c in complete_checkpoints(folder)
                    if osp.abspath(c) != osp.abspath(path)]
    hint = (f'the newest intact checkpoint there is {alternatives[0]}' if alternatives else
            f'there is no intact checkpoint in {folder}')
    raise ResumeError(f'--resume {path}: the file {problem}; {hint}.')


def _order(path: str) -> tuple:
    match = _STEP.search(osp.basename(path))
    return (int(match.group(1)) if match else -1, osp.getmtime(path))
