"""Small open_clip architectures for tests and demos (no pretrained weights exist for them)."""
from typing import Any, Dict

# A randomly initialisable CLIP that runs in milliseconds on a CPU: a 3-block ViT
# (width 64, 2 heads, patch 16) on 64 px images and a 2-block text transformer.
TINY_CLIP_CFG: Dict[str, Any] = dict(
    embed_dim=64,
    vision_cfg=dict(image_size=64, layers=3, width=64, head_width=32, patch_size=16),
    text_cfg=dict(context_length=77, vocab_size=49408, width=64, heads=2, layers=2),
)

# The CLIP that tools/pretrain_tiny_clip.py pretrains on generated captioned scenes
# (shipped as 'mmseg_semivl:tiny-scenes'): patch 8 gives an 8x8 token grid at its 64 px
# pre-training size and 12x12 at the 96 px of the scene benchmark. 5.35 M parameters,
# 4.74 M of them the 49,408-word token embedding (only the rows of words the captions
# use are trained and shipped).
TINY_SCENES_CLIP_CFG: Dict[str, Any] = dict(
    embed_dim=96,
    vision_cfg=dict(image_size=64, layers=3, width=96, head_width=32, patch_size=8),
    text_cfg=dict(context_length=32, vocab_size=49408, width=96, heads=3, layers=2),
)

#: CLIP's image normalisation in the 0-255 pixel scale of MMSeg's data pre-processors
#: (the configs' `data_preprocessor` repeats these numbers, as configs cannot import).
CLIP_MEAN = (122.771, 116.746, 104.094)
CLIP_STD = (68.501, 66.632, 70.323)
