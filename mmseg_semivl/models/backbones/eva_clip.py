"""EVA02-CLIP vision encoders (open_clip's timm EVA trunk) for dense prediction."""
from __future__ import annotations

import os
from typing import Dict, Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from torch import Tensor

#: open_clip model name -> (timm trunk name, published image-tower parameters incl. the
#: 1024 -> 768 projection head that open_clip keeps and this backbone drops).
EVA_CLIP_MODELS: Dict[str, Tuple[str, float]] = {
    'EVA02-L-14': ('eva02_large_patch14_clip_224', 304.1e6),
    'EVA02-L-14-336': ('eva02_large_patch14_clip_336', 304.4e6),
    'EVA02-B-16': ('eva02_base_patch16_clip_224', 86.3e6),
}
#: Fine-tuning modes (the learning-rate multiplier of the backbone is a paramwise_cfg).
EVA_FINETUNE_MODES = ('full', 'frozen')
#: Prefixes of the trunk's weights in open_clip (and local) state dicts.
TRUNK_PREFIXES = ('visual.trunk.', 'trunk.', 'module.visual.trunk.')


@MODELS.register_module()
class OpenCLIPEVA(BaseModule):
    """The EVA02 trunk of an open_clip EVA02-CLIP model, multi-level NCHW outputs.

    The trunk is timm's EVA (RoPE, SwiGLU, sub-LN, absolute position embedding) built
    with ``dynamic_img_size`` and ``dynamic_img_pad``, so any crop works: 512 px is
    padded to 518 = 37 x 14 and the position embedding and RoPE follow the grid.
    ``forward`` returns the outputs of blocks ``out_indices`` as (B, width, h, w) maps
    (timm's ``forward_intermediates``); a neck (MMSeg's ``Feature2Pyramid``) makes the
    pyramid for the decode head.

    Args:
        model_name (str): open_clip model name (``'EVA02-L-14'``); sets the timm trunk.
        pretrained (str, optional): An open_clip tag (``'merged2b_s4b_b131k'``), a local
            file (open_clip, timm or this trunk's state dict), or None for random init.
        out_indices (Sequence[int]): Blocks whose outputs are returned.
            Default: (7, 11, 15, 23).
        img_size (int): The trunk's nominal input size (position-embedding grid).
            Default: 224 (open_clip's).
        finetune (str): ``'full'`` or ``'frozen'``. Default: 'full'.
        drop_path_rate (float): Stochastic depth of the trunk. Default: 0.0.
        grad_checkpointing (bool): Activation checkpointing in the blocks. Default: False.
        timm_kwargs (dict, optional): Architecture overrides of the timm trunk
            (``embed_dim``, ``depth``, ``num_heads``: tiny models for tests).
        init_cfg (dict, optional): Not used (weights come from ``pretrained``).
    """

    #: Any crop is padded to the patch grid (SetupCheckHook: no multiple-of-14 rule).
    pads_to_patch_grid = True

    def __init__(self, model_name: str = 'EVA02-L-14', pretrained: Optional[str] = None,
                 out_indices: Sequence[int] = (7, 11, 15, 23), img_size: int = 224,
                 finetune: str = 'full', drop_path_rate: float = 0.0,
                 grad_checkpointing: bool = False, timm_kwargs: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        import timm
        if model_name not in EVA_CLIP_MODELS:
            raise ValueError(f'OpenCLIPEVA: unknown model_name {model_name!r}; known: '
                             f'{sorted(EVA_CLIP_MODELS)}')
        if finetune not in EVA_FINETUNE_MODES:
            raise ValueError(f'OpenCLIPEVA: finetune must be one of {EVA_FINETUNE_MODES}, '
                             f'got {finetune!r}')
        self.model_name = model_name
        self.timm_name = EVA_CLIP_MODELS[model_name][0]
        self.trunk = timm.create_model(self.timm_name, pretrained=False, num_classes=0,
                                       img_size=img_size, dynamic_img_size=True,
                                       dynamic_img_pad=True, drop_path_rate=drop_path_rate,
                                       **(timm_kwargs or {}))
        depth = len(self.trunk.blocks)
        self.out_indices = tuple(int(i) for i in out_indices)
        bad = [i for i in self.out_indices if not 0 <= i < depth]
        if bad:
            raise ValueError(f'OpenCLIPEVA: out_indices {bad} outside the {depth} blocks')
        self.width = self.trunk.embed_dim
        self.patch_size = self.trunk.patch_embed.patch_size[0]
        self.finetune = finetune
        if grad_checkpointing:
            self.trunk.set_grad_checkpointing(True)
        if pretrained:
            self.load_pretrained(pretrained)
        if finetune == 'frozen':
            self.trunk.requires_grad_(False)

    def load_pretrained(self, pretrained: str) -> None:
        """Load the trunk from an open_clip tag or a local file (strict)."""
        if os.path.isfile(pretrained):
            state = torch.load(pretrained, map_location='cpu', weights_only=True)
            state = state.get('state_dict', state.get('model', state))
        else:
            import open_clip
            tags = open_clip.list_pretrained_tags_by_model(self.model_name)
            if pretrained not in tags:
                raise ValueError(f'OpenCLIPEVA: {pretrained!r} is neither a file nor an '
                                 f'open_clip tag of {self.model_name} ({tags})')
            state = open_clip.create_model(self.model_name, pretrained=pretrained).state_dict()
        self.trunk.load_state_dict(trunk_state_dict(state), strict=True)

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """(B, 3, H, W) normalised images -> (B, width, ceil(H/p), ceil(W/p)) per index."""
        return tuple(self.trunk.forward_intermediates(x, indices=list(self.out_indices),
                                                      output_fmt='NCHW',
                                                      intermediates_only=True))

    def train(self, mode: bool = True) -> 'OpenCLIPEVA':
        super().train(mode)
        if self.finetune == 'frozen':
            self.trunk.eval()
        return self


def trunk_state_dict(state: dict) -> dict:
    """The trunk's keys of an open_clip / timm state dict (prefix removed, head dropped)."""
    for prefix in TRUNK_PREFIXES:
        if any(k.startswith(prefix) for k in state):
            state = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
            break
    return {k: v for k, v in state.items() if not k.startswith('head.')}


__all__ = ['OpenCLIPEVA', 'EVA_CLIP_MODELS', 'trunk_state_dict']
