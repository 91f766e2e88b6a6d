"""Open-vocabulary inference: run a trained SemiVL model on a new class list."""
from __future__ import annotations

import os
from typing import Dict, List, Mapping, Optional, Union

import torch
from mmengine.config import Config
from mmseg.models import BaseSegmentor

from ..models.text import ClassDefinitions, build_text_embeddings, load_class_definitions
from ..visualization import generate_palette
from .model_init import sync_num_classes

#: ``build_text_embeddings`` arguments that describe the CLIP, not the classes.
CLIP_TEXT_KEYS = ('model_name', 'pretrained', 'model_cfg', 'templates', 'quick_gelu',
                  'cache_dir')
ClassDefsLike = Union[str, os.PathLike, Mapping, ClassDefinitions]


def parse_class_list(text: str) -> ClassDefinitions:
    """Class definitions from a comma-separated list of names (one concept each).

    Raises:
        ValueError: The list is empty or names a class twice.
    """
    names = [name.strip() for name in text.split(',') if name.strip()]
    if not names:
        raise ValueError(f'--classes needs comma-separated class names, got {text!r}')
    return ClassDefinitions(names, [[name] for name in names], source='--classes')


def text_embedding_settings(config: Config) -> Dict:
    """The CLIP text settings the decoder of ``config`` was trained with.

    Returns:
        dict: The :data:`CLIP_TEXT_KEYS` of ``model.decode_head.text_embeddings``.

    Raises:
        ValueError: The config has no ``model.decode_head.text_embeddings``.
    """
    net = config.model.get('student', config.model)  # teacher-student (UDA) configs
    text_cfg = net.get('decode_head', {}).get('text_embeddings')
    if not text_cfg:
        raise ValueError('a new class list needs the CLIP text settings of '
                         'model.decode_head.text_embeddings, which this config lacks')
    return {k: text_cfg[k] for k in CLIP_TEXT_KEYS if k in text_cfg}


def set_vocabulary(model: BaseSegmentor,
                   class_definitions: ClassDefsLike,
                   aggregation: str = 'mean',
                   config: Optional[Config] = None,
                   device: Optional[Union[str, torch.device]] = None) -> List[str]:
    """Make a trained language-guided model segment a new list of classes.

    The class text embeddings are computed with the CLIP the decoder was trained
    with and put into the head (:meth:`LanguageGuidedHead.set_text_embeddings`);
    the segmentor's class count follows, and ``dataset_meta`` gets the new names
    and a deterministic palette (:func:`generate_palette`).

    Args:
        model (BaseSegmentor): A segmentor with a ``LanguageGuidedHead``.
        class_definitions: Shipped name, YAML file (class -> concepts), mapping or
            :class:`ClassDefinitions` (e.g. from :func:`parse_class_list`).
        aggregation (str): 'mean' - a class embedding is the mean of its concepts'
            embeddings (the decoder needs one embedding per class); 'name' - the
            class name alone.
        config (Config, optional): Config holding the CLIP text settings; default
            ``model.cfg``.
        device: Where the text tower runs on a cache miss; default the model's.

    Returns:
        list[str]: The new class names, in label order.
    """
    head = model.decode_head
    if not hasattr(head, 'set_text_embeddings'):
        raise ValueError(f'the decode head {type(head).__name__} has a fixed class set; '
                         'a new class list needs a LanguageGuidedHead')
    config = config if config is not None else getattr(model, 'cfg', None)
    if config is None:
        raise ValueError('set_vocabulary needs the model config (model.cfg or config=)')
    definitions = load_class_definitions(class_definitions)
    if device is None:
        device = next(model.parameters()).device
    text = build_text_embeddings(
        class_definitions=definitions, aggregation=aggregation, device=device,
        **text_embedding_settings(config))
    head.set_text_embeddings(text.embeddings, text.class_names)
    # A teacher-student (UDA) model may predict with its EMA teacher: same vocabulary.
    teacher_head = getattr(getattr(model, 'teacher', None), 'decode_head', None)
    if teacher_head is not None and teacher_head is not head and hasattr(
            teacher_head, 'set_text_embeddings'):
        teacher_head.set_text_embeddings(text.embeddings, text.class_names)
    sync_num_classes(model)
    model.dataset_meta = dict(
        classes=tuple(text.class_names), palette=generate_palette(len(text.class_names)))
    return list(text.class_names)
