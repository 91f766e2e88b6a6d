"""Build open_clip CLIP models and load their weights, with clear errors.

Shared by the vision backbone (which keeps only the vision tower) and the text
side (which runs the text tower once to embed class definitions). ``pretrained``
is either an open_clip tag (``'openai'``, ``'laion2b_s34b_b88k'``, ...; downloaded
by open_clip on a connected machine), a local checkpoint file, weights shipped with this
package (``'mmseg_semivl:tiny-scenes'``, see :mod:`mmseg_semivl.tiny_clip`), or None
(random initialisation).
"""
from __future__ import annotations

import copy
import functools
import hashlib
import os
from typing import Any, Callable, Dict, List, Mapping, Optional

import open_clip
import torch
from open_clip.convert import convert_state_dict
from open_clip.factory import load_state_dict as open_clip_load_state_dict
from torch import nn

from .pos_embed import resize_pos_embed

CHECKPOINT_SUFFIXES = ('.pt', '.pth', '.bin', '.safetensors', '.ckpt')
# Vision-tower options our SDPA forward does not re-implement.
_UNSUPPORTED_VISION_KEYS = ('timm_model_name', 'attentional_pool', 'qk_norm', 'scaled_cosine_attn',
                            'scale_heads', 'scale_attn_inner', 'scale_attn', 'scale_fc')


def to_plain(obj: Any) -> Any:
    """Recursively turn mappings (e.g. mmengine ``ConfigDict``) and tuples into dicts/lists."""
    if isinstance(obj, Mapping):
        return {str(k): to_plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_plain(v) for v in obj]
    return obj


def list_vit_models() -> List[str]:
    """Names of open_clip's built-in architectures with a plain (non-timm) ViT vision tower."""
    names = []
    for name in open_clip.list_models():
        vision_cfg = open_clip.get_model_config(name).get('vision_cfg', {})
        if isinstance(vision_cfg.get('layers', 0), int) and not any(
                vision_cfg.get(k) for k in _UNSUPPORTED_VISION_KEYS):
            names.append(name)
    return names


def _unknown_model_error(model_name: str) -> ValueError:
    examples = [n for n in ('ViT-B-16', 'ViT-B-32', 'ViT-L-14', 'ViT-L-14-336', 'ViT-H-14')
                if n in open_clip.list_models()]
    return ValueError(
        f"Unknown open_clip model '{model_name}'. Valid ViT models include "
        f"{', '.join(examples)} (all: mmseg_semivl.models.backbones.list_vit_models()); "
        'or define the architecture with `model_cfg`.')


def get_pretrained_tag_cfg(model_name: str, pretrained: Optional[str]) -> Dict[str, Any]:
    """open_clip's pretrained config for ``(model_name, tag)``, or {} when it is no tag."""
    if not pretrained or model_name not in open_clip.list_models():
        return {}
    return dict(open_clip.get_pretrained_cfg(model_name, pretrained) or {})


def resolve_model_cfg(model_name: str,
                      model_cfg: Optional[Mapping] = None,
                      pretrained: Optional[str] = None,
                      quick_gelu: Optional[bool] = None) -> Dict[str, Any]:
    """The open_clip architecture (``CLIP`` kwargs) to build.

    Args:
        model_name (str): open_clip model name; only a label when ``model_cfg`` is given.
        model_cfg (Mapping, optional): Explicit architecture (kwargs of
            ``open_clip.model.CLIP``); overrides the built-in config.
        pretrained (str, optional): Tag or checkpoint path. Weights trained with
            QuickGELU (the OpenAI ones) switch the activation to QuickGELU.
        quick_gelu (bool, optional): Force the activation; None = automatic.

    Returns:
        dict: A fresh, plain copy of the configuration.
    """
    if model_cfg is not None:
        cfg = copy.deepcopy(to_plain(model_cfg))
    else:
        cfg = open_clip.get_model_config(model_name)
        if cfg is None:
            raise _unknown_model_error(model_name)
        cfg = copy.deepcopy(cfg)
    for key in ('embed_dim', 'vision_cfg', 'text_cfg'):
        if key not in cfg:
            raise ValueError(f"open_clip config of '{model_name}' lacks '{key}': {cfg}")
    vision_cfg = cfg['vision_cfg']
    bad = [k for k in _UNSUPPORTED_VISION_KEYS if vision_cfg.get(k)]
    if bad or not isinstance(vision_cfg.get('layers', 12), int):
        raise ValueError(
            f"'{model_name}' has no plain ViT vision tower (unsupported vision_cfg options: "
            f"{bad or ['ResNet layers']}); choose one of list_vit_models().")
    if quick_gelu is None:
        # The activation is a property of the weights, not of the architecture name:
        # OpenAI's CLIP was trained with QuickGELU, most LAION/DataComp weights with GELU.
        quick_gelu = get_pretrained_tag_cfg(model_name, pretrained).get('quick_gelu', None)
    if quick_gelu is not None:
        cfg['quick_gelu'] = bool(quick_gelu)
    return cfg


def resolve_checkpoint(model_name: str, pretrained: Optional[str]) -> Optional[str]:
    """Local checkpoint file for ``pretrained`` (downloading a tag's weights), or None."""
    if pretrained is None:
        return None
    pretrained = os.fspath(pretrained)
    if pretrained.startswith('mmseg_semivl:'):  # weights shipped in the package
        from ...tiny_clip.weights import shipped_checkpoint  # (imports models.text)
        return shipped_checkpoint(pretrained)
    tag_cfg = get_pretrained_tag_cfg(model_name, pretrained)
    if tag_cfg:
        try:
            return open_clip.download_pretrained(tag_cfg)
        except Exception as exc:  # network errors come in many types
            raise RuntimeError(
                f"Could not download open_clip weights '{model_name}' / '{pretrained}' "
                f'({type(exc).__name__}: {exc}). On an offline machine pass a local '
                'checkpoint file as `pretrained`.') from exc
    path = os.path.expanduser(pretrained)
    if os.path.isfile(path):
        return path
    looks_like_path = os.sep in pretrained or '/' in pretrained or pretrained.endswith(
        CHECKPOINT_SUFFIXES)
    if looks_like_path:
        raise FileNotFoundError(f"CLIP checkpoint file not found: '{pretrained}'.")
    tags = open_clip.list_pretrained_tags_by_model(model_name) if (
        model_name in open_clip.list_models()) else []
    raise ValueError(
        f"pretrained='{pretrained}' is neither an open_clip tag of '{model_name}' "
        f'(known tags: {tags or "none"}) nor an existing checkpoint file.')


@functools.lru_cache(maxsize=16)
def _file_sha256(path: str, size: int, mtime_ns: int) -> str:
    # size and mtime are part of the memo key so that a rewritten file is hashed again.
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            digest.update(chunk)
    return digest.hexdigest()


def weights_fingerprint(model_name: str, pretrained: Optional[str]) -> Optional[str]:
    """Identity of the weights behind ``pretrained`` (for caches), None for random init.

    A tag is identified by its name, a file by the SHA-256 of its content (so a moved
    or copied checkpoint keeps its identity, and an overwritten one loses it).
    """
    if pretrained is None:
        return None
    pretrained = os.fspath(pretrained)
    if get_pretrained_tag_cfg(model_name, pretrained):
        return f'tag:{pretrained}'
    path = resolve_checkpoint(model_name, pretrained)
    stat = os.stat(path)
    return 'sha256:' + _file_sha256(os.path.realpath(path), stat.st_size, stat.st_mtime_ns)


def instantiate_clip(model_name: str, cfg: Mapping) -> nn.Module:
    """Instantiate an open_clip ``CLIP`` (or ``CustomTextCLIP``) from a resolved config."""
    cfg = copy.deepcopy(dict(cfg))
    if 'multimodal_cfg' in cfg:
        raise ValueError(f"'{model_name}' is a CoCa model; only CLIP models are supported.")
    model_class = open_clip.CustomTextCLIP if cfg.pop('custom_text', False) else open_clip.CLIP
    try:
        return model_class(**cfg)
    except TypeError as exc:
        raise ValueError(f"Invalid open_clip model_cfg for '{model_name}': {exc}") from exc


def _read_state_dict(path: str) -> Dict[str, torch.Tensor]:
    try:
        state_dict = open_clip_load_state_dict(path, device='cpu')
    except Exception as exc:  # torch/safetensors raise many types for damaged files
        raise RuntimeError(
            f"Could not read CLIP checkpoint '{path}' ({type(exc).__name__}: {exc}).") from exc
    if not isinstance(state_dict, Mapping) or not all(
            isinstance(v, torch.Tensor) for v in state_dict.values()):
        raise RuntimeError(f"CLIP checkpoint '{path}' does not hold a state dict of tensors.")
    return dict(state_dict)


def _fit_pos_embed(state_dict: Dict[str, torch.Tensor], model: nn.Module) -> None:
    """Resize a checkpoint's square-grid vision pos-embed to the model's grid in place."""
    key = 'visual.positional_embedding'
    target = model.state_dict().get(key)
    source = state_dict.get(key)
    if source is None or target is None or source.shape == target.shape or (
            source.dim() != 2 or source.shape[1] != target.shape[1]):
        return
    src_side = int(round((source.shape[0] - 1) ** 0.5))
    if src_side * src_side + 1 != source.shape[0]:
        return
    state_dict[key] = resize_pos_embed(source, (src_side, src_side), tuple(model.visual.grid_size))


def load_clip_checkpoint(model: nn.Module, path: str) -> None:
    """Load a CLIP checkpoint strictly into ``model``, naming mismatching keys on failure."""
    state_dict = _read_state_dict(path)
    # Third-party layouts (e.g. Apple MobileCLIP) -> open_clip names, as open_clip does.
    state_dict = convert_state_dict(model, state_dict)
    state_dict.pop('text.transformer.embeddings.position_ids', None)
    if 'logit_scale' in state_dict and state_dict['logit_scale'].dim() != model.logit_scale.dim():
        state_dict['logit_scale'] = state_dict['logit_scale'].reshape(model.logit_scale.shape)
    _fit_pos_embed(state_dict, model)

    expected = model.state_dict()
    missing = [k for k in expected if k not in state_dict]
    unexpected = [k for k in state_dict if k not in expected]
    wrong_shape = [f'{k}: checkpoint {tuple(v.shape)} vs model {tuple(expected[k].shape)}'
                   for k, v in state_dict.items() if k in expected and v.shape != expected[k].shape]
    if missing or unexpected or wrong_shape:
        def show(keys: List[str]) -> str:
            return ', '.join(keys[:5]) + (f' (+{len(keys) - 5} more)' if len(keys) > 5 else '')

        parts = [f'{name} [{show(keys)}]' for name, keys in (
            ('missing keys', missing), ('unexpected keys', unexpected),
            ('shape mismatches', wrong_shape)) if keys]
        raise ValueError(
            f"CLIP checkpoint '{path}' does not match the requested architecture: "
            + '; '.join(parts) + '. Check `model_name` / `model_cfg`.')
    model.load_state_dict(state_dict, strict=True)


def build_clip(model_name: str = 'ViT-B-16',
               pretrained: Optional[str] = None,
               model_cfg: Optional[Mapping] = None,
               quick_gelu: Optional[bool] = None) -> nn.Module:
    """Build a full open_clip CLIP model in fp32 eval mode with the requested weights.

    Args:
        model_name (str): open_clip architecture name (a label if ``model_cfg`` is set).
        pretrained (str, optional): open_clip tag, checkpoint path, or None (random).
        model_cfg (Mapping, optional): Explicit architecture (``open_clip.model.CLIP`` kwargs).
        quick_gelu (bool, optional): Force QuickGELU on/off; None picks it from the weights.

    Returns:
        nn.Module: ``open_clip.CLIP`` with ``visual`` and the text tower.
    """
    cfg = resolve_model_cfg(model_name, model_cfg, pretrained, quick_gelu)
    checkpoint = resolve_checkpoint(model_name, pretrained)
    model = instantiate_clip(model_name, cfg)
    if checkpoint is not None:
        load_clip_checkpoint(model, checkpoint)
    return model.eval()


def build_tokenizer(model_name: str, model_cfg: Optional[Mapping] = None) -> Callable:
    """open_clip tokenizer matching the text tower of ``model_name`` / ``model_cfg``."""
    if model_cfg is None:
        return open_clip.get_tokenizer(model_name)
    text_cfg = to_plain(model_cfg).get('text_cfg', {})
    context_length = text_cfg.get('context_length', open_clip.tokenizer.DEFAULT_CONTEXT_LENGTH)
    if text_cfg.get('hf_tokenizer_name'):
        return open_clip.tokenizer.HFTokenizer(
            text_cfg['hf_tokenizer_name'], context_length=context_length,
            **(text_cfg.get('tokenizer_kwargs') or {}))
    return open_clip.tokenizer.SimpleTokenizer(context_length=context_length)
