"""CutMix with box masks, and the choice of the sample each view is mixed with."""
from __future__ import annotations

from typing import Dict, Optional

import torch
import torch.distributed as torch_dist
from mmengine.dist import get_dist_info
from torch import Tensor


def box_mix(target: Tensor, partner: Tensor, box: Tensor) -> Tensor:
    """Paste ``partner`` into ``target`` where ``box`` is set.

    One function for images and per-pixel maps, so images, pseudo-labels,
    confidences, guidance labels and validity masks are mixed identically.

    Args:
        target (Tensor): (B, C, H, W) images or (B, H, W) maps.
        partner (Tensor): Same shape as ``target``.
        box (Tensor): (B, H, W) mask, non-zero where the partner's pixel is taken.

    Returns:
        Tensor: The mixed tensor, same shape and dtype as ``target``.
    """
    if target.shape != partner.shape:
        raise ValueError(f'cannot mix tensors of shapes {tuple(target.shape)} and '
                         f'{tuple(partner.shape)}')
    mask = box.bool()
    if target.dim() == 4:
        mask = mask.unsqueeze(1)
    return torch.where(mask, partner, target)


class MixPartnerSelector:
    """Chooses, for every unlabeled sample, a *different* sample to mix in.

    SemiVL/UniMatch mix each strong view with a strong view of another unlabeled
    image. With two or more unlabeled images per process the partner is the next
    image of the batch (its pseudo-label comes from the same weak forward, so no
    extra forward is spent). With one image per process - the paper's 8 GPUs x 1
    setting - the partner is the image of the next rank (gathered, no gradient
    needed), and in a single process the previous iteration's image.

    The first single-process iteration has no previous image and mixes a sample
    with itself, which leaves it unchanged.
    """

    def __init__(self) -> None:
        self._previous: Optional[Dict[str, Tensor]] = None

    @torch.no_grad()
    def __call__(self, tensors: Dict[str, Tensor]) -> Dict[str, Tensor]:
        """Return the partner of every sample for each tensor.

        Args:
            tensors (dict[str, Tensor]): Batch-first tensors of the unlabeled
                samples (images, pseudo-labels, ...), all with batch size B.

        Returns:
            dict[str, Tensor]: Same keys and shapes, holding the partners' values.
        """
        batch_size = next(iter(tensors.values())).shape[0]
        if batch_size > 1:
            return {k: v.roll(1, dims=0) for k, v in tensors.items()}
        rank, world_size = get_dist_info()
        if world_size > 1:
            return {k: self._from_next_rank(v, rank, world_size) for k, v in tensors.items()}
        partners = self._previous if self._matches(tensors) else tensors
        self._previous = {k: v.detach().clone() for k, v in tensors.items()}
        return partners

    def _matches(self, tensors: Dict[str, Tensor]) -> bool:
        prev = self._previous
        return prev is not None and prev.keys() == tensors.keys() and all(
            prev[k].shape == v.shape and prev[k].device == v.device for k, v in tensors.items())

    @staticmethod
    def _from_next_rank(tensor: Tensor, rank: int, world_size: int) -> Tensor:
        gathered = [torch.empty_like(tensor) for _ in range(world_size)]
        torch_dist.all_gather(gathered, tensor.contiguous())
        return gathered[(rank + 1) % world_size]
