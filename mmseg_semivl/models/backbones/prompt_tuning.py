"""Deep visual prompt tuning (VPT-deep, as used by ZegCLIP and the SemiVL reference)."""
from __future__ import annotations

import math

import torch
from torch import nn


class DeepPrompts(nn.Module):
    """Learned prompt tokens for every transformer block.

    Before block ``i`` the tokens ``dropout(proj(prompts[i]))`` are inserted after the
    class token, and removed again after the block, so patch tokens keep their grid.
    Settings of the reference (ZegCLIP's): 10 tokens per block, a shared linear
    projection and dropout 0.1. For ViT-B/16 this gives 12 * 10 * 768 + 768 * 768 + 768
    = 682,752 trainable parameters, the "0.7 M" of paper Table 7 (the reference also
    creates an unused LayerNorm of 1,536 parameters, which is left out here).

    Args:
        num_layers (int): Number of transformer blocks.
        dim (int): Token width.
        num_tokens (int): Prompt tokens per block. Default: 10.
        patch_size (int): Patch size, used for VPT's uniform init range.
        dropout (float): Dropout on the projected prompts. Default: 0.1.
    """

    def __init__(self, num_layers: int, dim: int, num_tokens: int = 10, patch_size: int = 16,
                 dropout: float = 0.1) -> None:
        super().__init__()
        self.num_tokens = num_tokens
        self.prompts = nn.Parameter(torch.empty(num_layers, num_tokens, dim))
        self.proj = nn.Linear(dim, dim)
        self.dropout = nn.Dropout(dropout)
        # VPT's Xavier-style range for tokens that live next to patch embeddings.
        bound = math.sqrt(6.0 / float(3 * patch_size * patch_size + dim))
        nn.init.uniform_(self.prompts, -bound, bound)
        nn.init.kaiming_normal_(self.proj.weight, a=0, mode='fan_out')
        nn.init.zeros_(self.proj.bias)

    def insert(self, x: torch.Tensor, layer: int) -> torch.Tensor:
        """Insert the prompts of ``layer`` after the class token.

        Args:
            x (Tensor): (B, 1 + L, C) tokens.
            layer (int): Block index.

        Returns:
            Tensor: (B, 1 + num_tokens + L, C).
        """
        prompts = self.dropout(self.proj(self.prompts[layer])).to(x.dtype)
        prompts = prompts.unsqueeze(0).expand(x.shape[0], -1, -1)
        return torch.cat([x[:, :1], prompts, x[:, 1:]], dim=1)

    def remove(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 1 + num_tokens + L, C) -> (B, 1 + L, C)."""
        return torch.cat([x[:, :1], x[:, 1 + self.num_tokens:]], dim=1)
