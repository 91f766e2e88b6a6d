"""Semantic reasoning across classes by class attention (SemiVL Sec. 3.4).

At every (pooled) location the N classes are the tokens of a transformer
block, so the block models inter-class relations while its weights are shared
over all positions. Each token is anchored by its class text embedding.
"""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.models.backbones.vit import TransformerEncoderLayer
from torch import Tensor


class ClassAttentionBlock(nn.Module):
    """One pre-LN transformer block over the class axis, applied residually.

    The per-class feature maps are average-pooled (for compute), each pooled
    location becomes a sequence of N tokens ``[feature (C), text (C_t)]``, the
    block runs over that sequence, the first C output channels are kept,
    upsampled back and added to the input.

    Args:
        channels (int): Per-class feature width C. Default: 128.
        text_channels (int): Width C_t of the projected text embedding
            appended to every token. Default: 128.
        num_heads (int): Attention heads. Default: 4.
        feedforward_channels (int): Hidden width of the FFN. Default: 512.
        pool_size (int, optional): Average-pooling window; None or 1 disables
            pooling. Default: 4.
        align_corners (bool): For upsampling the pooled update. Default: True.

    Shape:
        - x: (B, N, C, H, W)
        - text: (N, C_t) projected text embeddings
        - output: (B, N, C, H, W)
    """

    def __init__(self,
                 channels: int = 128,
                 text_channels: int = 128,
                 num_heads: int = 4,
                 feedforward_channels: int = 512,
                 pool_size: Optional[int] = 4,
                 align_corners: bool = True) -> None:
        super().__init__()
        self.channels = channels
        self.align_corners = align_corners
        self.pool = nn.AvgPool2d(pool_size) if pool_size and pool_size > 1 else nn.Identity()
        # MMSeg's ViT layer is exactly a pre-LN block (LN -> MHA -> +, LN -> FFN -> +).
        self.transformer = TransformerEncoderLayer(
            embed_dims=channels + text_channels,
            num_heads=num_heads,
            feedforward_channels=feedforward_channels,
            attn_cfg=dict(),  # fresh dicts: MMSeg updates its defaults in place
            ffn_cfg=dict())

    def forward(self, x: Tensor, text: Tensor) -> Tensor:
        """Update per-class features with inter-class context."""
        batch, num_classes, channels, height, width = x.shape
        pooled = self.pool(x.flatten(0, 1))  # (B*N, C, h, w)
        h, w = pooled.shape[-2:]
        # (B*N, C, h, w) -> (B*h*w, N, C): one class sequence per location.
        tokens = pooled.view(batch, num_classes, channels, h * w).permute(0, 3, 1, 2)
        tokens = tokens.reshape(batch * h * w, num_classes, channels)
        text = text.to(tokens.dtype).unsqueeze(0).expand(tokens.shape[0], -1, -1)
        tokens = self.transformer(torch.cat([tokens, text], dim=-1))[..., :channels]
        update = tokens.reshape(batch, h * w, num_classes, channels).permute(0, 2, 3, 1)
        update = update.reshape(batch * num_classes, channels, h, w)
        update = F.interpolate(
            update, size=(height, width), mode='bilinear', align_corners=self.align_corners)
        return x + update.view(batch, num_classes, channels, height, width)


class SemanticReasoning(nn.Module):
    """Text projection followed by a stack of :class:`ClassAttentionBlock`.

    Args:
        channels (int): Per-class feature width C. Default: 128.
        text_in_channels (int): Width of the CLIP text embeddings. Default: 512.
        text_channels (int): Width of the projected text embeddings
            (``ReLU(Linear(text_in_channels, text_channels))``). Default: 128.
        num_layers (int): Number of blocks. Default: 2.
        num_heads (int): Attention heads. Default: 4.
        feedforward_channels (int): FFN hidden width. Default: 512.
        pool_size (int, optional): Average-pooling window. Default: 4.
        align_corners (bool): For upsampling the pooled updates. Default: True.

    Shape:
        - x: (B, N, C, H, W)
        - text_embeddings: (N, text_in_channels), L2-normalised
        - output: (B, N, C, H, W)
    """

    def __init__(self,
                 channels: int = 128,
                 text_in_channels: int = 512,
                 text_channels: int = 128,
                 num_layers: int = 2,
                 num_heads: int = 4,
                 feedforward_channels: int = 512,
                 pool_size: Optional[int] = 4,
                 align_corners: bool = True) -> None:
        super().__init__()
        self.text_proj = nn.Sequential(nn.Linear(text_in_channels, text_channels), nn.ReLU())
        self.layers = nn.ModuleList([
            ClassAttentionBlock(channels, text_channels, num_heads, feedforward_channels,
                                pool_size, align_corners) for _ in range(num_layers)
        ])

    def forward(self, x: Tensor, text_embeddings: Tensor) -> Tensor:
        """Apply all blocks with the same projected text anchors."""
        text = self.text_proj(text_embeddings)
        for layer in self.layers:
            x = layer(x, text)
        return x
