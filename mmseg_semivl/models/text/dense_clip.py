"""MaskCLIP zero-shot segmentation with a frozen CLIP (SemiVL's dense CLIP guidance)."""
from __future__ import annotations

import logging
import os
from typing import Mapping, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.logging import print_log
from mmengine.model import BaseModule
from mmseg.registry import MODELS

from ..backbones.clip_vit import CLIPVisionTransformer
from .class_definitions import ClassDefinitions
from .concept_aggregation import aggregate_concepts
from .templates import DEFAULT_TEMPLATES
from .text_embedder import build_text_embeddings


@MODELS.register_module()
class DenseCLIPZeroShot(BaseModule):
    """Frozen CLIP that scores every patch against class definitions (MaskCLIP).

    The dense embedding of a frozen :class:`CLIPVisionTransformer` (or of any frozen
    vision tower given as ``backbone`` whose last output is a CLIP-aligned, L2-normalised
    dense embedding: EVA02-CLIP's ``OpenCLIPEVA(dense_embedding=True)``) is compared by
    cosine similarity with the text embedding of every concept, and each class takes
    the max over its concepts (Eq. 5). SemiVL upsamples these scores, applies
    ``softmax(100 * score)`` and keeps pixels with confidence >= 0.9 as guidance labels;
    that step belongs to the segmentor. The text tower runs only at build time (and
    not at all when the embeddings are in the disk cache).

    Args:
        model_name (str): open_clip model name (a ViT, or the model of ``backbone``:
            ``'EVA02-L-14'``); its text tower embeds the class definitions.
        pretrained (str, optional): open_clip tag or checkpoint path of the text tower
            and (unless ``backbone`` sets its own) the vision tower. Default: 'openai'.
        class_definitions: Shipped name, YAML path, mapping or ClassDefinitions.
            Default: 'voc'.
        templates: Prompt template(s). Default: ('a photo of a {}.',).
        aggregation (str): 'max' (Eq. 5), 'mean' or 'name'; see build_text_embeddings.
        img_size (int | tuple[int, int]): Grid the positional embedding is resized to
            at load. Default: 512.
        model_cfg (Mapping, optional): Explicit open_clip architecture.
        quick_gelu (bool, optional): Force QuickGELU; None follows the weights.
        cache_dir (str, optional): Text-embedding cache root.
        backbone (dict, optional): Config of the vision tower instead of the
            ``CLIPVisionTransformer`` of ``model_name`` (``img_size`` and ``quick_gelu``
            then do not apply), e.g. ``dict(type='OpenCLIPEVA', model_name='EVA02-L-14',
            dense_embedding=True, finetune='frozen', out_indices=(23, ))``; its
            ``pretrained`` defaults to ``pretrained``. It must return the dense
            embedding last and expose ``embed_dim``. Default: None.
        init_cfg (dict, optional): mmengine initialisation config.
    """

    def __init__(self,
                 model_name: str = 'ViT-B-16',
                 pretrained: Optional[str] = 'openai',
                 class_definitions: Union[str, os.PathLike, Mapping, ClassDefinitions] = 'voc',
                 templates: Union[str, Sequence[str]] = DEFAULT_TEMPLATES,
                 aggregation: str = 'max',
                 img_size: Union[int, Sequence[int]] = 512,
                 model_cfg: Optional[Mapping] = None,
                 quick_gelu: Optional[bool] = None,
                 cache_dir: Optional[Union[str, os.PathLike]] = None,
                 backbone: Optional[Mapping] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if pretrained is None:
            # Every entry point builds this module, so the warning reaches tools/train.py,
            # MMSeg's tools and notebooks alike.
            print_log('dense CLIP guidance with a RANDOMLY INITIALISED CLIP (pretrained=None): '
                      'its guidance labels are noise. Set `pretrained` to real weights (an '
                      "open_clip tag, a checkpoint file, or 'mmseg_semivl:tiny-scenes').",
                      logger='current', level=logging.WARNING)
        self.clip = self._build_vision_tower(backbone, model_name, pretrained, img_size,
                                             model_cfg, quick_gelu)
        text = build_text_embeddings(model_name, pretrained, class_definitions, templates,
                                     aggregation, model_cfg, cache_dir, quick_gelu)
        if text.embeddings.shape[1] != self.clip.embed_dim:
            raise ValueError(f'Text embeddings have {text.embeddings.shape[1]} channels but the '
                             f'vision tower embeds into {self.clip.embed_dim}.')
        self.class_names = text.class_names
        self.num_classes = text.num_classes
        # Derived from the cache at build time, so kept out of checkpoints.
        self.register_buffer('text_embeddings', text.embeddings, persistent=False)
        self.register_buffer('concept_to_class', text.concept_to_class, persistent=False)
        self.eval()

    @staticmethod
    def _build_vision_tower(backbone: Optional[Mapping], model_name: str,
                            pretrained: Optional[str], img_size, model_cfg: Optional[Mapping],
                            quick_gelu: Optional[bool]) -> torch.nn.Module:
        if backbone is None:
            return CLIPVisionTransformer(
                model_name=model_name, pretrained=pretrained, img_size=img_size,
                finetune='frozen', skip_blocks=(), model_cfg=model_cfg, quick_gelu=quick_gelu)
        cfg = dict(backbone)
        cfg.setdefault('pretrained', pretrained)
        tower = MODELS.build(cfg)
        if getattr(tower, 'dense_embedding', True) is False or not hasattr(tower, 'embed_dim'):
            raise ValueError(f'DenseCLIPZeroShot: backbone {cfg.get("type")!r} must return a '
                             'dense CLIP embedding last and expose embed_dim (OpenCLIPEVA: '
                             'set dense_embedding=True)')
        tower.requires_grad_(False)
        return tower

    @torch.no_grad()
    def forward_concepts(self, x: torch.Tensor) -> torch.Tensor:
        """Cosine similarity of every patch with every concept.

        Args:
            x (Tensor): (B, 3, H, W) images normalised for CLIP.

        Returns:
            Tensor: (B, K, H/p, W/p) scores in [-1, 1].
        """
        dense = self.clip(x)[-1]
        return torch.einsum('bdhw,kd->bkhw', dense, self.text_embeddings.to(dense.dtype))

    @torch.no_grad()
    def forward(self, x: torch.Tensor, return_embedding: bool = False):
        """Class scores: max over each class's concepts.

        Args:
            x (Tensor): (B, 3, H, W) images normalised for CLIP.
            return_embedding (bool): Also return the dense embedding of the same pass
                (:meth:`forward_with_embedding`). Default: False.

        Returns:
            Tensor: (B, C, H/p, W/p) cosine scores (and, with ``return_embedding``, the
            (B, D, H/p, W/p) dense embedding).
        """
        if return_embedding:
            return self.forward_with_embedding(x)
        return aggregate_concepts(self.forward_concepts(x), self.concept_to_class,
                                  self.num_classes)

    @torch.no_grad()
    def forward_with_embedding(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Class scores and the dense embedding of one pass (the VL feature distance).

        Args:
            x (Tensor): (B, 3, H, W) images normalised for CLIP.

        Returns:
            tuple[Tensor, Tensor]: (B, C, H/p, W/p) cosine scores (max over concepts) and
            the (B, D, H/p, W/p) L2-normalised dense embedding.
        """
        dense = self.clip(x)[-1]
        concepts = torch.einsum('bdhw,kd->bkhw', dense, self.text_embeddings.to(dense.dtype))
        return aggregate_concepts(concepts, self.concept_to_class, self.num_classes), dense

    @torch.no_grad()
    def predict_labels(self, x: torch.Tensor, out_size: Optional[Tuple[int, int]] = None,
                       align_corners: bool = False) -> torch.Tensor:
        """Zero-shot label map: bilinear upsampling of the class scores, then argmax.

        Args:
            x (Tensor): (B, 3, H, W) images normalised for CLIP.
            out_size (tuple[int, int], optional): Output (H', W'); default (H, W).
            align_corners (bool): For the bilinear upsampling.

        Returns:
            Tensor: (B, H', W') long class indices.
        """
        scores = self(x)
        size = tuple(out_size) if out_size is not None else tuple(x.shape[-2:])
        scores = F.interpolate(scores, size=size, mode='bilinear', align_corners=align_corners)
        return scores.argmax(dim=1)

    def train(self, mode: bool = True) -> 'DenseCLIPZeroShot':
        """Always in eval mode: this is a fixed teacher."""
        return super().train(False)
