"""Building the zero-shot (MaskCLIP) segmentor from CLIP settings, for tools and users."""
from __future__ import annotations

from typing import Dict, List, Mapping, Optional, Sequence, Union

import torch

from ..models.segmentors.zero_shot_segmentor import CLIP_PREPROCESSOR, ZeroShotSegmentor
from ..visualization import generate_palette


def zero_shot_test_pipeline(short_side: int = 512) -> List[dict]:
    """Test pipeline of the zero-shot tool: short side resized to ``short_side``.

    The long side is capped at four times the short side, MMSeg's (2048, 512) rule.
    """
    return [
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale=(4 * short_side, short_side), keep_ratio=True),
        dict(type='PackSegInputs'),
    ]


def build_zero_shot_model(class_definitions,
                          model_name: str = 'ViT-B-16',
                          pretrained: Optional[str] = 'openai',
                          model_cfg: Optional[Mapping] = None,
                          img_size: Union[int, Sequence[int]] = 512,
                          templates: Union[str, Sequence[str], None] = None,
                          test_cfg: Optional[Dict] = None,
                          data_preprocessor: Optional[Dict] = None,
                          device: Union[str, torch.device] = 'cpu') -> ZeroShotSegmentor:
    """A :class:`ZeroShotSegmentor` from CLIP settings, ready for ``test_step``.

    Args:
        class_definitions: Shipped name, YAML file, mapping or ClassDefinitions;
            a class scores the max over its concepts (Eq. 5).
        model_name (str): open_clip model name (a label when ``model_cfg`` is set).
        pretrained (str, optional): open_clip tag or checkpoint file.
        model_cfg (Mapping, optional): Explicit open_clip architecture (tiny tests).
        img_size (int | tuple[int, int]): Grid the positional embedding is resized
            to at load (other sizes are resized on the fly).
        templates: Prompt templates; default DenseCLIPZeroShot's.
        test_cfg (dict, optional): Whole (default) or sliding-window inference.
        data_preprocessor (dict, optional): Default :data:`CLIP_PREPROCESSOR`.
        device: Where the model runs.

    Returns:
        ZeroShotSegmentor: In eval mode on ``device``, with ``dataset_meta``.
    """
    clip = dict(type='DenseCLIPZeroShot', model_name=model_name, pretrained=pretrained,
                class_definitions=class_definitions, aggregation='max', img_size=img_size,
                model_cfg=model_cfg)
    if templates is not None:
        clip['templates'] = templates
    model = ZeroShotSegmentor(clip, test_cfg=test_cfg, data_preprocessor=data_preprocessor)
    model.dataset_meta = dict(classes=tuple(model.class_names),
                              palette=generate_palette(model.num_classes))
    return model.to(device).eval()


__all__ = ['CLIP_PREPROCESSOR', 'ZeroShotSegmentor', 'build_zero_shot_model',
           'zero_shot_test_pipeline']
