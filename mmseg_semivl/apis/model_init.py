"""Building a trained SemiVL segmentor for inference (MMSeg's ``init_model``, lighter)."""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Optional, Union

import torch
from mmengine.config import Config
from mmengine.runner import CheckpointLoader
from mmseg.apis import init_model
from mmseg.models import BaseSegmentor
from mmseg.registry import MODELS

from ..models.backbones import CLIPVisionTransformer
from ..models.backbones.open_clip_builder import resolve_model_cfg

TEXT_EMBEDDINGS_KEY = 'decode_head.text_embeddings'
#: Model keys of training-only parts that need ``model.guidance`` (dropped for inference).
TRAINING_ONLY_KEYS = ('clip_guidance', 'vl_feature_distance')
#: Where checkpoints keep the decoder's vocabulary: the teacher-student layout first,
#: then the flat layout of plain segmentors (and of this package before it).
TEXT_EMBEDDINGS_KEYS = ('student.' + TEXT_EMBEDDINGS_KEY, TEXT_EMBEDDINGS_KEY)


def sync_num_classes(model: BaseSegmentor) -> None:
    """Copy the decode head's class count onto the segmentor.

    MMSeg's ``EncoderDecoder`` copies ``num_classes``/``out_channels`` from its head
    once, at build; sliding-window inference allocates ``out_channels`` maps. A head
    whose vocabulary changed afterwards (a checkpoint with another class list,
    :meth:`LanguageGuidedHead.set_text_embeddings`) leaves stale copies behind.
    """
    head = model.decode_head
    model.num_classes = head.num_classes
    model.out_channels = head.out_channels


def _checkpoint_num_classes(checkpoint: str) -> Optional[int]:
    """Number of class text embeddings stored in a checkpoint, if any."""
    state = CheckpointLoader.load_checkpoint(checkpoint, map_location='cpu', logger='silent')
    state = state.get('state_dict', state)
    for key in TEXT_EMBEDDINGS_KEYS:
        if key in state:
            return int(state[key].shape[0])
    return None


def inference_config(config: Config, checkpoint: Optional[str] = None) -> Config:
    """A copy of ``config`` that builds the model without any CLIP weights.

    With a checkpoint, every CLIP weight the config would load is either in the
    checkpoint or unused at test time, so loading them only costs time (and a
    download on a connected machine):

    * ``model.guidance`` (the frozen dense CLIP of training) is dropped, and with it the
      UDA terms that use it (``clip_guidance``, ``vl_feature_distance``);
    * a teacher-student (UDA) config is handled in ``model.student``;
    * ``model.backbone.pretrained`` is cleared; the activation the weights imply
      (QuickGELU for OpenAI's) is pinned first, as it is not stored in the weights;
    * ``model.decode_head.text_embeddings`` is replaced by ``num_classes`` (read from
      the checkpoint's ``student.decode_head.text_embeddings``, or
      ``decode_head.text_embeddings`` in the flat layout): the checkpoint holds them.

    Without a checkpoint the config is returned unchanged (copied).
    """
    cfg = copy.deepcopy(config)
    if checkpoint is None:
        return cfg
    model = cfg.model
    model.pop('guidance', None)
    # Training-only terms that need the frozen guidance CLIP (UDA, issue 21).
    for key in TRAINING_ONLY_KEYS:
        model.pop(key, None)
    # A teacher-student config (UDA) keeps the network under `model.student`.
    net = model.get('student', model)
    backbone = net.get('backbone', {})
    # mmengine's registry raises on an empty name (no backbone at this level).
    backbone_cls = MODELS.get(backbone['type']) if backbone.get('type') else None
    is_clip = isinstance(backbone_cls, type) and issubclass(backbone_cls, CLIPVisionTransformer)
    if is_clip and isinstance(backbone.get('conv_stem'), dict):
        backbone['conv_stem']['init_cfg'] = None  # the checkpoint holds the stem too
    if is_clip and backbone.get('pretrained'):
        if backbone.get('quick_gelu') is None:
            arch = resolve_model_cfg(backbone.get('model_name', 'ViT-B-16'),
                                     backbone.get('model_cfg'), backbone['pretrained'])
            backbone['quick_gelu'] = arch.get('quick_gelu', False)
        backbone['pretrained'] = None
    if backbone.get('type') == 'OpenCLIPEVA':
        backbone['pretrained'] = None  # the checkpoint holds the trunk (and its head)
    head = net.get('decode_head', {})
    if head.get('text_embeddings') is not None:
        num_classes = _checkpoint_num_classes(checkpoint)
        if num_classes is not None:
            head['text_embeddings'] = None
            head['num_classes'] = num_classes
    return cfg


def init_semivl_model(config: Union[str, Path, Config],
                      checkpoint: Optional[str] = None,
                      device: Optional[str] = None,
                      cfg_options: Optional[dict] = None) -> BaseSegmentor:
    """Build a segmentor for inference, like :func:`mmseg.apis.init_model`.

    MMSeg's ``init_model`` works with our configs and checkpoints as well; this
    variant builds the model without loading CLIP weights it does not need (see
    :func:`inference_config`), so a trained checkpoint runs offline, and keeps the
    segmentor's class count in step with the checkpoint's vocabulary.

    Args:
        config (str | Path | Config): Config file or object.
        checkpoint (str, optional): Checkpoint file; None keeps the initial weights.
        device (str, optional): Default 'cuda' when available, else 'cpu'.
        cfg_options (dict, optional): Overrides merged into the config first.

    Returns:
        BaseSegmentor: The model in eval mode on ``device``, with ``cfg`` (the full
        config, for the test pipeline and the CLIP settings) and ``dataset_meta``.
    """
    if isinstance(config, (str, Path)):
        config = Config.fromfile(str(config))
    elif not isinstance(config, Config):
        raise TypeError(f'config must be a file name or a Config, got {type(config).__name__}')
    config = copy.deepcopy(config)
    if cfg_options:
        config.merge_from_dict(cfg_options)
    if device is None:
        device = 'cuda' if torch.cuda.is_available() else 'cpu'
    model = init_model(inference_config(config, checkpoint), checkpoint, device=device)
    sync_num_classes(model)
    model.cfg = config
    return model
