"""Resizing of ViT positional embeddings to another token grid."""
from __future__ import annotations

from typing import Tuple

import torch
import torch.nn.functional as F


def resize_pos_embed(pos_embed: torch.Tensor,
                     src_grid: Tuple[int, int],
                     dst_grid: Tuple[int, int],
                     num_prefix_tokens: int = 1,
                     mode: str = 'bicubic') -> torch.Tensor:
    """Resize a ViT positional embedding to another patch grid.

    The prefix (class-token) positions are kept unchanged; the spatial part is
    interpolated like an image with ``align_corners=False`` and no antialiasing,
    which is what the SemiVL/MaskCLIP reference does (open_clip's own resize
    uses antialiased bicubic, a different kernel).

    Args:
        pos_embed (Tensor): (num_prefix_tokens + Hs * Ws, C) embedding.
        src_grid (tuple[int, int]): (Hs, Ws) grid the embedding was made for.
        dst_grid (tuple[int, int]): (Hd, Wd) target grid.
        num_prefix_tokens (int): Leading non-spatial tokens kept as they are.
        mode (str): ``F.interpolate`` mode.

    Returns:
        Tensor: (num_prefix_tokens + Hd * Wd, C) embedding, same dtype.
    """
    src_h, src_w = src_grid
    dst_h, dst_w = dst_grid
    if pos_embed.dim() != 2 or pos_embed.shape[0] != num_prefix_tokens + src_h * src_w:
        raise ValueError(
            f'pos_embed of shape {tuple(pos_embed.shape)} does not match a '
            f'{src_h}x{src_w} grid with {num_prefix_tokens} prefix token(s).')
    if (src_h, src_w) == (dst_h, dst_w):
        return pos_embed
    prefix, grid = pos_embed[:num_prefix_tokens], pos_embed[num_prefix_tokens:]
    channels = grid.shape[1]
    grid = grid.reshape(1, src_h, src_w, channels).permute(0, 3, 1, 2)
    # Interpolate in fp32: bicubic on half precision is unsupported on CPU.
    grid = F.interpolate(grid.float(), size=(dst_h, dst_w), mode=mode, align_corners=False)
    grid = grid.permute(0, 2, 3, 1).reshape(dst_h * dst_w, channels).to(pos_embed.dtype)
    return torch.cat([prefix, grid], dim=0)
