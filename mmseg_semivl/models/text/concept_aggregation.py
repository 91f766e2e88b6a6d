"""Aggregation of concept scores into class scores (SemiVL Eq. 5)."""
from __future__ import annotations

import torch


def aggregate_concepts(scores: torch.Tensor, concept_to_class: torch.Tensor,
                       num_classes: int) -> torch.Tensor:
    """Class score = max over the class's concepts: ``p_a = max_{b in b_a} p_b``.

    Args:
        scores (Tensor): (B, K, h, w) concept scores.
        concept_to_class (Tensor): (K,) long, class index of every concept.
        num_classes (int): C; every class must own at least one concept.

    Returns:
        Tensor: (B, C, h, w) class scores (gradients flow to the winning concepts).
    """
    if scores.dim() != 4 or scores.shape[1] != concept_to_class.numel():
        raise ValueError(f'scores of shape {tuple(scores.shape)} do not match '
                         f'{concept_to_class.numel()} concepts.')
    concept_to_class = concept_to_class.to(device=scores.device, dtype=torch.long)
    if scores.shape[1] == num_classes and torch.equal(
            concept_to_class, torch.arange(num_classes, device=scores.device)):
        return scores  # one concept per class, already in class order
    owned = torch.bincount(concept_to_class, minlength=num_classes)
    if owned.numel() != num_classes or bool((owned == 0).any()):
        raise ValueError(f'Every one of the {num_classes} classes needs a concept; '
                         f'concepts per class: {owned.tolist()}.')
    batch, _, height, width = scores.shape
    index = concept_to_class.view(1, -1, 1, 1).expand_as(scores)
    out = scores.new_full((batch, num_classes, height, width), float('-inf'))
    return out.scatter_reduce(1, index, scores, reduce='amax', include_self=False)
