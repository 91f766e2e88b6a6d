"""Shipped CLIP weights: a compact file in the package, expanded once into the cache.

A full checkpoint of the tiny scenes CLIP is 21 MB, 89 % of it the 49,408 x 96 token
embedding of which the pre-training captions touch ~60 rows. The compact file keeps
every other tensor in fp16 and only the trained token rows; the untrained rows are
re-created from their seeded initialisation (:func:`init_token_embedding`), which the
pre-training uses too and never changes (no weight decay on them, and Adam leaves rows
without gradient untouched). Expanding gives an ordinary open_clip state dict, so
loading goes through the same code as real CLIP weights (``build_clip``).

``pretrained='mmseg_semivl:tiny-scenes'`` in any config or tool names these weights.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Dict, Mapping, Optional

import torch

from ..models.text.embedding_cache import resolve_cache_dir

PREFIX = 'mmseg_semivl:'
WEIGHTS_DIR = Path(__file__).resolve().parent
#: Shipped name -> compact file in this folder.
SHIPPED = {
    'tiny-scenes': 'tiny_scenes_clip.pt',  # 1,600 steps: the encoder initialisation
    'tiny-scenes-long': 'tiny_scenes_clip_long.pt',  # 3,000 steps: better dense zero-shot
}
TOKEN_KEY = 'token_embedding.weight'
COMPACT_VERSION = 1


def is_shipped_name(pretrained: Optional[str]) -> bool:
    """True for ``'mmseg_semivl:<name>'`` strings."""
    return isinstance(pretrained, str) and pretrained.startswith(PREFIX)


def init_token_embedding(vocab_size: int, width: int, seed: int) -> torch.Tensor:
    """(vocab_size, width) float32 initial token embedding (open_clip's std 0.02), seeded.

    Drawn from a private generator so that it does not depend on open_clip's own
    initialisation order.
    """
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(vocab_size, width, generator=generator) * 0.02


def save_compact(state_dict: Mapping[str, torch.Tensor], path: str, model_cfg: Mapping,
                 token_seed: int, meta: Optional[Dict[str, Any]] = None) -> None:
    """Write the compact form of an open_clip state dict.

    Args:
        state_dict (Mapping): Full open_clip state dict (float32).
        path (str): Output file.
        model_cfg (Mapping): The architecture (``open_clip.CLIP`` kwargs).
        token_seed (int): Seed of :func:`init_token_embedding` used at pre-training.
        meta (dict, optional): Anything to keep beside (recipe, measured numbers).
    """
    tokens = state_dict[TOKEN_KEY].float()
    init = init_token_embedding(tokens.shape[0], tokens.shape[1], token_seed)
    rows = torch.nonzero((tokens != init).any(dim=1)).flatten()
    tensors = {k: v.half() if v.is_floating_point() else v
               for k, v in state_dict.items() if k != TOKEN_KEY}
    tensors['token_rows'] = rows
    tensors['token_values'] = tokens[rows].half()
    payload = dict(version=COMPACT_VERSION, tensors=tensors, model_cfg=json.dumps(dict(model_cfg)),
                   token_seed=token_seed, meta=json.dumps(meta or {}))
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    torch.save(payload, path)


def load_compact(path: str) -> Dict[str, Any]:
    """Expand a compact file: ``{'state_dict', 'model_cfg', 'meta'}`` (float32 tensors)."""
    try:
        payload = torch.load(path, map_location='cpu', weights_only=True)
        tensors = payload['tensors']
        model_cfg = json.loads(payload['model_cfg'])
    except Exception as exc:  # damaged or foreign file
        raise RuntimeError(f"cannot read compact CLIP weights '{path}' "
                           f'({type(exc).__name__}: {exc})') from exc
    width = model_cfg['text_cfg']['width']
    tokens = init_token_embedding(model_cfg['text_cfg']['vocab_size'], width,
                                  payload['token_seed'])
    tokens[tensors['token_rows']] = tensors['token_values'].float()
    state_dict = {k: v.float() if v.is_floating_point() else v
                  for k, v in tensors.items() if k not in ('token_rows', 'token_values')}
    state_dict[TOKEN_KEY] = tokens
    return dict(state_dict=state_dict, model_cfg=model_cfg, meta=json.loads(payload['meta']))


def shipped_meta(name: str = 'tiny-scenes') -> Dict[str, Any]:
    """The recipe and measured numbers stored with shipped weights ``name``."""
    return load_compact(str(_compact_file(name)))['meta']


def _compact_file(name: str) -> Path:
    if name not in SHIPPED:
        raise ValueError(f"unknown shipped CLIP weights '{PREFIX}{name}'; shipped: "
                         f'{", ".join(PREFIX + n for n in SHIPPED)}')
    path = WEIGHTS_DIR / SHIPPED[name]
    if not path.is_file():
        raise FileNotFoundError(f"shipped CLIP weights '{PREFIX}{name}' are missing: {path} "
                                '(rebuild them with tools/pretrain_tiny_clip.py)')
    return path


def shipped_checkpoint(pretrained: str, cache_dir: Optional[str] = None) -> str:
    """Path of an ordinary open_clip checkpoint for ``'mmseg_semivl:<name>'``.

    Expanded once into ``<cache>/weights/<name>-<hash>.pt`` (atomic write; the hash of
    the compact file names the version, so an updated package never reads stale weights).
    """
    name = pretrained[len(PREFIX):]
    compact = _compact_file(name)
    digest = hashlib.sha256(compact.read_bytes()).hexdigest()[:12]
    target = resolve_cache_dir(cache_dir) / 'weights' / f'{name}-{digest}.pt'
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f'.{target.stem}.', suffix='.tmp', dir=target.parent)
        try:
            with os.fdopen(fd, 'wb') as f:
                torch.save(load_compact(str(compact))['state_dict'], f)
            os.replace(tmp, target)
        except BaseException:
            if os.path.exists(tmp):
                os.remove(tmp)
            raise
    return str(target)
