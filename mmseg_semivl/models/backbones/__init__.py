from .clip_configs import CLIP_MEAN, CLIP_STD, TINY_CLIP_CFG, TINY_SCENES_CLIP_CFG
from .clip_conv_skip import CLIPWithConvSkip
from .clip_vit import CLIPVisionTransformer
from .eva_clip import OpenCLIPEVA  # noqa: F401 (EVA02-CLIP, UDA)
from .finetune import FINETUNE_MODES, POS_EMBED_TRAINED_BY_DEFAULT
from .lora import LoRAAttention
from .open_clip_builder import (build_clip, build_tokenizer, list_vit_models, load_clip_checkpoint,
                                weights_fingerprint)
from .pos_embed import resize_pos_embed
from .prompt_tuning import DeepPrompts

__all__ = [
    'CLIPVisionTransformer', 'CLIPWithConvSkip', 'CLIP_MEAN', 'CLIP_STD', 'TINY_CLIP_CFG',
    'TINY_SCENES_CLIP_CFG',
    'FINETUNE_MODES', 'POS_EMBED_TRAINED_BY_DEFAULT', 'LoRAAttention', 'DeepPrompts',
    'build_clip', 'build_tokenizer', 'list_vit_models', 'load_clip_checkpoint',
    'weights_fingerprint', 'resize_pos_embed'
]
