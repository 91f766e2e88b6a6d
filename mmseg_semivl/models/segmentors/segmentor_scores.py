"""A trained segmentor's dense class scores as the frozen reference of dense guidance."""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn as nn
from mmengine.runner.checkpoint import CheckpointLoader
from mmseg.registry import MODELS
from torch import Tensor

#: Prefix of the deployed network in teacher-student checkpoints (DACS, source-only, DUDA).
STUDENT_PREFIX = 'student.'


@MODELS.register_module()
class SegmentorScores(nn.Module):
    """A frozen segmentor in the place of the dense CLIP of dense guidance.

    Dense guidance (``DACS(clip_guidance=...)``, SemiVL) can only pass on what its
    reference model knows. With a segmentor that was trained with labels of the target
    domain as the reference (a *planted* reference, whose dense predictions are right on
    the target), the guidance benchmark separates "the term transfers knowledge" from "the
    tiny CLIP knows too little" (docs/uda.md). ``forward`` has the guidance model's
    contract: normalised images in, class scores at the decoder's resolution out; use it
    with ``clip_guidance=dict(temperature=1.0, mean=None, std=None)`` (logits, and the
    student's own normalisation).

    Args:
        segmentor (dict): The segmentor config (an ``EncoderDecoder``).
        checkpoint (str, optional): Its weights: a plain MMSeg checkpoint, or a
            teacher-student one, whose ``student.*`` weights are taken. Default: None.
    """

    def __init__(self, segmentor: dict, checkpoint: Optional[str] = None) -> None:
        super().__init__()
        self.model = MODELS.build(segmentor)
        self.checkpoint = checkpoint
        if checkpoint is not None:
            state = CheckpointLoader.load_checkpoint(checkpoint, map_location='cpu')
            state = state.get('state_dict', state)
            if any(k.startswith(STUDENT_PREFIX) for k in state):
                state = {k[len(STUDENT_PREFIX):]: v for k, v in state.items()
                         if k.startswith(STUDENT_PREFIX)}
            missing, unexpected = self.model.load_state_dict(state, strict=False)
            if missing or unexpected:
                raise KeyError(f"SegmentorScores: '{checkpoint}' does not fit the segmentor "
                               f'config: missing {missing[:3]}, unexpected {unexpected[:3]}')
        self.requires_grad_(False)
        self.eval()

    @property
    def num_classes(self) -> int:
        return self.model.decode_head.num_classes

    @torch.no_grad()
    def forward(self, inputs: Tensor) -> Tensor:
        """(B, 3, H, W) normalised images -> (B, C, h, w) class scores (logits)."""
        return self.model.decode_head(self.model.extract_feat(inputs))


__all__ = ['SegmentorScores']
