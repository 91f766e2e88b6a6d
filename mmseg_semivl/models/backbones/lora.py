"""Low-rank adaptation (LoRA) of the attention projections of one transformer block."""
from __future__ import annotations

import math
from typing import Optional

import torch
from torch import nn

LORA_TARGETS = 'qkvo'


class LoRAAttention(nn.Module):
    """Low-rank residuals ``scaling * B @ A`` for the q, k, v and output projections.

    Paper Table 7 ("LoRA", Hu et al.): rank 8 on W_q, W_k, W_v and W_o. ``A`` starts
    Kaiming-uniform and ``B`` at zero, so training starts from the pretrained weights.
    The residuals are added to the frozen weights (``merged``) instead of running as
    a separate branch: this is exact without LoRA dropout (the reference uses none)
    and keeps the fused scaled-dot-product attention path.

    Args:
        dim (int): Width of the attention block.
        rank (int): Rank r of each residual. Default: 8.
        scaling (float): Factor on the residuals. Default: 1.0 (as the reference).
        targets (str): Subset of ``'qkvo'`` to adapt. Default: ``'qkvo'``.
    """

    def __init__(self, dim: int, rank: int = 8, scaling: float = 1.0,
                 targets: str = LORA_TARGETS) -> None:
        super().__init__()
        if not targets or any(t not in LORA_TARGETS for t in targets) or len(set(targets)) != len(
                targets):
            raise ValueError(f"LoRA targets must be a subset of 'qkvo', got '{targets}'.")
        if rank < 1:
            raise ValueError(f'LoRA rank must be >= 1, got {rank}.')
        self.dim, self.rank, self.scaling, self.targets = dim, rank, scaling, targets
        self.lora_a = nn.ParameterDict({t: nn.Parameter(torch.empty(rank, dim)) for t in targets})
        self.lora_b = nn.ParameterDict({t: nn.Parameter(torch.zeros(dim, rank)) for t in targets})
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for weight in self.lora_a.values():
            nn.init.kaiming_uniform_(weight, a=math.sqrt(5))
        for weight in self.lora_b.values():
            nn.init.zeros_(weight)

    def delta(self, target: str) -> Optional[torch.Tensor]:
        """(dim, dim) residual of one projection, or None when it is not adapted."""
        if target not in self.lora_a:
            return None
        return self.scaling * (self.lora_b[target] @ self.lora_a[target])

    def merged_in_proj(self, in_proj_weight: torch.Tensor) -> torch.Tensor:
        """Packed (3 * dim, dim) q/k/v weight of ``nn.MultiheadAttention`` plus the residuals."""
        deltas = [self.delta(t) for t in 'qkv']
        if all(d is None for d in deltas):
            return in_proj_weight
        zero = in_proj_weight.new_zeros(self.dim, self.dim)
        return in_proj_weight + torch.cat([zero if d is None else d for d in deltas], dim=0)

    def merged_out_proj(self, out_proj_weight: torch.Tensor) -> torch.Tensor:
        """(dim, dim) output projection weight plus its residual."""
        delta = self.delta('o')
        return out_proj_weight if delta is None else out_proj_weight + delta

    def extra_repr(self) -> str:
        return f'dim={self.dim}, rank={self.rank}, scaling={self.scaling}, targets={self.targets}'
