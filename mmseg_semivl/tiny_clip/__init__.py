"""A tiny CLIP pretrained here, on generated captioned scenes (no download needed).

``pretrained='mmseg_semivl:tiny-scenes'`` with ``model_cfg=TINY_SCENES_CLIP_CFG`` loads
it anywhere a CLIP is configured. Built by ``tools/pretrain_tiny_clip.py``.
"""
from .weights import (PREFIX, SHIPPED, is_shipped_name, load_compact, save_compact,
                      shipped_checkpoint, shipped_meta)

__all__ = ['PREFIX', 'SHIPPED', 'is_shipped_name', 'load_compact', 'save_compact',
           'shipped_checkpoint', 'shipped_meta']
