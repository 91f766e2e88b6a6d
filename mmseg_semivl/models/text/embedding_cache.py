"""On-disk cache of text embeddings, so that the CLIP text tower runs once per setting."""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any, Dict, Optional, Union

import torch

CACHE_ENV = 'MMSEG_SEMIVL_CACHE'
CACHE_VERSION = 1  # bump when the stored format or the embedding computation changes


def resolve_cache_dir(cache_dir: Optional[Union[str, os.PathLike]] = None) -> Path:
    """Cache root: the argument, else ``$MMSEG_SEMIVL_CACHE``, else ``~/.cache/mmseg_semivl``."""
    if cache_dir is None:
        cache_dir = os.environ.get(CACHE_ENV) or Path.home() / '.cache' / 'mmseg_semivl'
    return Path(os.path.expanduser(os.fspath(cache_dir)))


def cache_key(fields: Dict[str, Any]) -> str:
    """SHA-256 of the JSON-serialised key fields (order-independent for dict keys)."""
    payload = json.dumps({'version': CACHE_VERSION, **fields}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode('utf-8')).hexdigest()


def cache_path(cache_dir: Optional[Union[str, os.PathLike]], key: str) -> Path:
    """File of one cache entry."""
    return resolve_cache_dir(cache_dir) / 'text_embeddings' / f'{key}.pt'


def load_entry(path: Path) -> Optional[Dict[str, Any]]:
    """Read a cache entry; a missing or unreadable entry is a miss (with a warning if damaged)."""
    if not path.is_file():
        return None
    try:
        return torch.load(path, map_location='cpu', weights_only=True)
    except Exception as exc:  # a damaged entry must not stop training: recompute it
        warnings.warn(f"Ignoring unreadable text-embedding cache entry '{path}': {exc}")
        return None


def save_entry(path: Path, entry: Dict[str, Any]) -> None:
    """Write atomically: a temp file in the same folder, then ``os.replace``.

    Concurrent writers (e.g. one per distributed rank) therefore never leave a
    partially written file; the last complete write wins.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f'.{path.stem}.', suffix='.tmp', dir=path.parent)
    try:
        with os.fdopen(fd, 'wb') as f:
            torch.save(entry, f)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
