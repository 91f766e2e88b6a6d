"""CLIP text embeddings of class definitions, computed once and cached on disk."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable, List, Mapping, Optional, Sequence, Union

import open_clip
import torch
import torch.nn.functional as F
from torch import nn

from ..backbones.open_clip_builder import (build_clip, build_tokenizer, resolve_model_cfg,
                                           weights_fingerprint)
from .class_definitions import ClassDefinitions, load_class_definitions
from .embedding_cache import cache_key, cache_path, load_entry, save_entry
from .templates import DEFAULT_TEMPLATES, fill_template, resolve_templates

AGGREGATIONS = ('max', 'mean', 'name')


@dataclass
class ConceptEmbeddings:
    """Text embeddings ready for cosine scoring.

    Attributes:
        embeddings (Tensor): (K, D) float32, L2-normalised rows.
        concept_to_class (Tensor): (K,) long class index of every row.
        class_names (list[str]): C class names.
        texts (list[str]): K texts the rows were made from (concepts or class names;
            for 'mean' the class names label the averaged rows).
    """
    embeddings: torch.Tensor
    concept_to_class: torch.Tensor
    class_names: List[str]
    texts: List[str]

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


@torch.no_grad()
def encode_texts(clip: nn.Module, tokenizer: Callable, texts: Sequence[str],
                 templates: Sequence[str], batch_size: int = 256) -> torch.Tensor:
    """Embed every text with every template and average over templates.

    Args:
        clip (nn.Module): open_clip model with ``encode_text``.
        tokenizer (Callable): Its tokenizer.
        texts (Sequence[str]): T texts.
        templates (Sequence[str]): P templates with one ``{}``.
        batch_size (int): Captions per text-tower call.

    Returns:
        Tensor: (T, D) float32 on CPU; per text the mean of the P normalised caption
        embeddings, re-normalised (CLIP's prompt ensembling; P = 1 is the plain case).
    """
    captions = [fill_template(t, text) for text in texts for t in templates]
    device = next(clip.parameters()).device
    chunks = []
    for start in range(0, len(captions), batch_size):
        tokens = tokenizer(captions[start:start + batch_size]).to(device)
        chunks.append(F.normalize(clip.encode_text(tokens).float(), dim=-1).cpu())
    embeddings = torch.cat(chunks).view(len(texts), len(templates), -1).mean(dim=1)
    return F.normalize(embeddings, dim=-1)


def has_timm_vision_tower(model_name: str, model_cfg: Optional[Mapping] = None) -> bool:
    """Whether ``model_name`` is an open_clip model whose image tower is a timm model
    (EVA02-CLIP), which this package's CLIP builder does not instantiate."""
    if model_cfg is not None:
        return False
    arch = open_clip.get_model_config(model_name) or {}
    return 'timm_model_name' in (arch.get('vision_cfg') or {})


def embed_texts(model_name: str,
                pretrained: Optional[str],
                texts: Sequence[str],
                templates: Union[str, Sequence[str]] = DEFAULT_TEMPLATES,
                model_cfg: Optional[Mapping] = None,
                cache_dir: Optional[Union[str, os.PathLike]] = None,
                quick_gelu: Optional[bool] = None,
                device: Optional[Union[str, torch.device]] = None) -> torch.Tensor:
    """(T, D) normalised text embeddings, from the disk cache when possible.

    The cache key covers the model name, the weights (open_clip tag or checkpoint
    content hash), the resolved architecture (incl. the activation), the templates
    and the texts. Random weights (``pretrained=None``) are never cached.
    """
    templates = resolve_templates(templates)
    texts = list(texts)
    fingerprint = weights_fingerprint(model_name, pretrained)
    timm_tower = has_timm_vision_tower(model_name, model_cfg)
    path = None
    if fingerprint is not None:
        arch = (open_clip.get_model_config(model_name) if timm_tower else
                resolve_model_cfg(model_name, model_cfg, pretrained, quick_gelu))
        fields = dict(model_name=model_name, weights=fingerprint, templates=list(templates),
                      texts=texts, model_cfg=arch)
        path = cache_path(cache_dir, cache_key(fields))
        entry = load_entry(path)
        if entry is not None and entry.get('texts') == texts and entry.get('templates') == list(
                templates):
            return entry['embeddings'].float()

    if device is None:
        device = 'cuda' if torch.cuda.is_available() else 'cpu'
    # Building a model draws from torch's global generator; a cache miss must not shift
    # the seeded initialisation of the model that is built next (same seed, same run).
    with torch.random.fork_rng(devices=[]):
        if timm_tower:
            # open_clip models with a timm vision tower (EVA02-CLIP): only the text tower
            # is used here, so open_clip builds the model and loads its weights itself.
            clip = open_clip.create_model(model_name, pretrained=pretrained).eval().to(device)
        else:
            clip = build_clip(model_name, pretrained, model_cfg, quick_gelu).to(device)
    embeddings = encode_texts(clip, build_tokenizer(model_name, model_cfg), texts, templates)
    del clip  # the text tower is not kept around after this one use
    if path is not None:
        save_entry(path, dict(embeddings=embeddings, texts=texts, templates=list(templates)))
    return embeddings


def build_text_embeddings(model_name: str,
                          pretrained: Optional[str],
                          class_definitions: Union[str, os.PathLike, Mapping, ClassDefinitions],
                          templates: Union[str, Sequence[str]] = DEFAULT_TEMPLATES,
                          aggregation: str = 'max',
                          model_cfg: Optional[Mapping] = None,
                          cache_dir: Optional[Union[str, os.PathLike]] = None,
                          quick_gelu: Optional[bool] = None,
                          device: Optional[Union[str, torch.device]] = None) -> ConceptEmbeddings:
    """Text embeddings of class definitions with the frozen CLIP text tower.

    Args:
        model_name (str): open_clip model name (a label when ``model_cfg`` is set).
        pretrained (str, optional): open_clip tag or checkpoint path; must be the
            weights of the vision tower the embeddings are compared with.
        class_definitions: Shipped name ('voc', ...), YAML path, mapping or ClassDefinitions.
        templates: Prompt template(s); several are averaged per concept.
            Default: ('a photo of a {}.',).
        aggregation (str): 'max' - one row per concept, class score = max over its
            concepts (Eq. 5, default); 'mean' - one row per class, the re-normalised
            mean of its concept embeddings; 'name' - one row per class from the class
            name alone.
        model_cfg (Mapping, optional): Explicit open_clip architecture.
        cache_dir (str, optional): Cache root; default ``$MMSEG_SEMIVL_CACHE`` or
            ``~/.cache/mmseg_semivl``.
        quick_gelu (bool, optional): Force QuickGELU; None follows the weights.
        device (str, optional): Where the text tower runs on a cache miss.

    Returns:
        ConceptEmbeddings: K = number of concepts for 'max', C for 'mean' and 'name'.
    """
    if aggregation not in AGGREGATIONS:
        raise ValueError(f"Unknown aggregation '{aggregation}'; choose one of {AGGREGATIONS}.")
    definitions = load_class_definitions(class_definitions)
    texts = definitions.names if aggregation == 'name' else definitions.flat_concepts
    embeddings = embed_texts(model_name, pretrained, texts, templates, model_cfg, cache_dir,
                             quick_gelu, device)
    concept_to_class = torch.tensor(definitions.concept_to_class, dtype=torch.long)
    if aggregation == 'mean':
        sums = torch.zeros(definitions.num_classes, embeddings.shape[1]).index_add_(
            0, concept_to_class, embeddings)
        embeddings = F.normalize(sums, dim=-1)  # normalising the sum = normalising the mean
        texts = definitions.names
    if aggregation != 'max':
        concept_to_class = torch.arange(definitions.num_classes)
    return ConceptEmbeddings(embeddings, concept_to_class, list(definitions.names), list(texts))
