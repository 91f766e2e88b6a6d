"""Which CLIP vision-tower parameters each fine-tuning strategy trains (paper Table 7)."""
from __future__ import annotations

from typing import Dict, Optional

FINETUNE_MODES = ('spatial', 'full', 'frozen', 'lora', 'prompt')

# Whether the positional embedding is trained when ``train_pos_embed`` is not given.
# It is resized from the 224 px grid to the crop grid, so the strategies that adapt
# the spatial reasoning train it. These defaults reproduce the encoder parameter
# counts of paper Table 7 for ViT-B/16 at 512 px: spatial 29.1 M (attention
# 28,348,416 + pos-embed 787,200), LoRA 1.4 M (589,824 + 787,200), deep prompt
# tuning 0.7 M (prompts only), full 86.8 M, frozen 0.
POS_EMBED_TRAINED_BY_DEFAULT: Dict[str, bool] = dict(
    spatial=True, full=True, frozen=False, lora=True, prompt=False)


def check_finetune_mode(mode: str) -> str:
    """Return ``mode`` if it is a known strategy, else raise a ValueError listing them."""
    if mode not in FINETUNE_MODES:
        raise ValueError(f"Unknown finetune mode '{mode}'; choose one of {FINETUNE_MODES}.")
    return mode


def resolve_train_pos_embed(mode: str, train_pos_embed: Optional[bool]) -> bool:
    """The explicit setting, else the strategy's default."""
    return POS_EMBED_TRAINED_BY_DEFAULT[mode] if train_pos_embed is None else bool(train_pos_embed)


def is_trainable(name: str, mode: str, train_pos_embed: bool) -> bool:
    """Whether the backbone parameter ``name`` is trained under ``mode``.

    Args:
        name (str): Parameter name inside :class:`CLIPVisionTransformer`
            (e.g. ``'resblocks.3.attn.in_proj_weight'``, ``'lora.0.lora_a.q'``).
        mode (str): One of :data:`FINETUNE_MODES`.
        train_pos_embed (bool): Whether the positional embedding is trained.
    """
    if name == 'positional_embedding':
        return train_pos_embed
    if mode == 'full':
        return True
    if mode == 'spatial':
        # q/k/v in-projection and output projection of every block ("attention
        # layers"); patch embedding, class token, LayerNorms, MLPs and the output
        # projection stay frozen so CLIP's local semantics are preserved.
        return name.startswith('resblocks.') and '.attn.' in name
    if mode == 'lora':
        return name.startswith('lora.')
    if mode == 'prompt':
        return name.startswith('prompts.')
    return False
