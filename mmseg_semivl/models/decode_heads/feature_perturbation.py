"""UniMatch feature perturbation, shared by every decode head of this package.

UniMatch (and SemiVL) obtain an extra prediction of the weak unlabeled views by
decoding their encoder features a second time after channel dropout
(``Dropout2d``). Doing this inside one decoder call on the concatenated batch
keeps a single pass through the (class-expanded, memory-heavy) decoder.
"""
from __future__ import annotations

from abc import abstractmethod
from typing import List, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor


def perturb_features(feats: Sequence[Tensor], num_perturbed: int,
                     p: float) -> List[Tensor]:
    """Append channel-dropped copies of the last ``num_perturbed`` samples.

    Every tensor gets its own ``Dropout2d`` mask, so all decoder inputs
    (dense embeddings and skips) are perturbed independently.

    Args:
        feats (Sequence[Tensor]): Decoder inputs, each (B, C_i, H_i, W_i) with
            the same B.
        num_perturbed (int): Number of trailing samples to perturb, in
            [0, B]. 0 returns the inputs unchanged.
        p (float): Channel dropout probability.

    Returns:
        list[Tensor]: Each (B + num_perturbed, C_i, H_i, W_i); the first B
        samples are the inputs, the last ``num_perturbed`` the perturbed
        copies of ``feats[i][B - num_perturbed:]``.
    """
    feats = list(feats)
    if not isinstance(num_perturbed, int) or isinstance(num_perturbed, bool):
        raise TypeError(f'num_perturbed must be an int, got {num_perturbed!r}')
    if num_perturbed == 0:
        return feats
    batch_size = feats[0].shape[0]
    if not 0 < num_perturbed <= batch_size:
        raise ValueError(f'num_perturbed={num_perturbed} must lie in '
                         f'[0, batch size {batch_size}]')
    for i, feat in enumerate(feats):
        if feat.shape[0] != batch_size:
            raise ValueError(f'decoder input {i} has batch size {feat.shape[0]}, '
                             f'expected {batch_size} like input 0')
    # training=True: the perturbation is an explicit request of the caller
    # (the consistency loss), so it must not silently vanish in eval mode.
    return [
        torch.cat([feat, F.dropout2d(feat[batch_size - num_perturbed:], p=p, training=True)])
        for feat in feats
    ]


class FeaturePerturbationMixin:
    """Gives a decode head the ``forward(inputs, num_perturbed=0)`` contract.

    The head provides ``fp_dropout`` (float), ``_select_inputs`` (picks its
    decoder inputs from the backbone tuple) and ``_decode`` (the actual
    decoder). Put the mixin before ``BaseDecodeHead`` in the bases so that its
    ``forward`` is the one used by MMSeg's ``loss``/``predict``.
    """

    fp_dropout: float

    @abstractmethod
    def _select_inputs(self, inputs: Sequence[Tensor]) -> List[Tensor]:
        """Pick the decoder inputs (each (B, C_i, H_i, W_i)) from the backbone output."""

    @abstractmethod
    def _decode(self, feats: List[Tensor]) -> Tensor:
        """Decode the selected inputs into logits (B, N, H/4, W/4)."""

    def forward(self, inputs: Sequence[Tensor], num_perturbed: int = 0) -> Tensor:
        """Decode the batch, plus perturbed copies of its last samples.

        Args:
            inputs (Sequence[Tensor]): Backbone outputs, each (B, C_i, H_i, W_i).
            num_perturbed (int): Number of trailing samples that are decoded a
                second time with ``Dropout2d(p=fp_dropout)`` on every decoder
                input. Default: 0.

        Returns:
            Tensor: Logits (B + num_perturbed, N, H/4, W/4); the perturbed
            predictions are the last ``num_perturbed`` samples.
        """
        feats = perturb_features(self._select_inputs(inputs), num_perturbed, self.fp_dropout)
        return self._decode(feats)
