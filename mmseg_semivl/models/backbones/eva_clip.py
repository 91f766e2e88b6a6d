"""EVA02-CLIP vision encoders (open_clip's timm EVA trunk) for dense prediction."""
from __future__ import annotations

import os
from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
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
#: open_clip model name -> width of the image-text embedding space (the trunk's ``head``).
EVA_CLIP_EMBED_DIMS: Dict[str, int] = {'EVA02-L-14': 768, 'EVA02-L-14-336': 768,
                                       'EVA02-B-16': 512}
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
        dense_embedding (bool): Also return, last, the CLIP-aligned dense embedding
            (the language-guided decoder's input, issue 21): MaskCLIP's value path of the
            last block (its attention replaced by the identity: every token attends to
            itself only, so query and key are unused), the final norm and open_clip's
            image projection ``head`` (1024 -> 768 for EVA02-L-14, loaded from the
            checkpoint), L2-normalised. Default: False (block outputs only).
        embed_dim (int, optional): Width of the projection with ``dense_embedding``;
            default: the checkpoint's (EVA_CLIP_EMBED_DIMS) or the trunk width.
        init_cfg (dict, optional): Not used (weights come from ``pretrained``).
    """

    #: Any crop is padded to the patch grid (SetupCheckHook: no multiple-of-14 rule).
    pads_to_patch_grid = True

    def __init__(self, model_name: str = 'EVA02-L-14', pretrained: Optional[str] = None,
                 out_indices: Sequence[int] = (7, 11, 15, 23), img_size: int = 224,
                 finetune: str = 'full', drop_path_rate: float = 0.0,
                 grad_checkpointing: bool = False, timm_kwargs: Optional[dict] = None,
                 dense_embedding: bool = False, embed_dim: Optional[int] = None,
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
        self.dense_embedding = dense_embedding
        self.head = None
        if dense_embedding:
            embed_dim = embed_dim or EVA_CLIP_EMBED_DIMS.get(model_name, self.width)
            if timm_kwargs and 'embed_dim' in timm_kwargs and embed_dim == EVA_CLIP_EMBED_DIMS.get(
                    model_name):
                embed_dim = self.width  # a shrunk test trunk without its own projection
            self.head = nn.Linear(self.width, embed_dim)
            self.embed_dim = embed_dim
        if grad_checkpointing:
            self.trunk.set_grad_checkpointing(True)
        if pretrained:
            self.load_pretrained(pretrained)
        if finetune == 'frozen':
            self.trunk.requires_grad_(False)
            if self.head is not None:
                self.head.requires_grad_(False)

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
        if self.head is not None:
            head = head_state_dict(state)
            if not head:
                raise ValueError('OpenCLIPEVA(dense_embedding=True): the checkpoint has no '
                                 'image projection (head.weight)')
            self.head.load_state_dict(head, strict=True)

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """(B, 3, H, W) normalised images -> (B, width, ceil(H/p), ceil(W/p)) per index
        (and, with ``dense_embedding``, the (B, embed_dim, h, w) dense embedding last)."""
        if not self.dense_embedding:
            return tuple(self.trunk.forward_intermediates(x, indices=list(self.out_indices),
                                                          output_fmt='NCHW',
                                                          intermediates_only=True))
        depth = len(self.trunk.blocks)
        indices = sorted(set(self.out_indices) | {depth - 2}) if depth > 1 else list(
            self.out_indices)
        outs = self.trunk.forward_intermediates(x, indices=indices, output_fmt='NLC',
                                                intermediates_only=True,
                                                return_prefix_tokens=True)
        by_index = dict(zip(indices, outs))
        h, w = self.trunk.patch_embed.dynamic_feat_size(tuple(x.shape[-2:]))
        maps = tuple(self._to_map(by_index[i][0], h, w) for i in self.out_indices)
        if depth > 1:
            spatial, prefix = by_index[depth - 2]
            tokens = torch.cat([prefix, spatial], dim=1)  # the last block's input
        else:
            tokens, _ = self.trunk._pos_embed(self.trunk.patch_embed(x))
            tokens = self.trunk.norm_pre(tokens)
        return maps + (self.dense(tokens, h, w), )

    def dense(self, tokens: Tensor, h: int, w: int) -> Tensor:
        """MaskCLIP value path of the last block on its input ``tokens`` (B, P + h w, C)."""
        trunk = self.trunk
        rope = trunk.rope.get_embed(shape=(h, w)) if getattr(trunk, 'rope', None) is not None \
            else None
        n = tokens.shape[1]
        # Identity attention: softmax over a row that is -inf off the diagonal = 1 on it.
        eye = torch.full((n, n), float('-inf'), device=tokens.device, dtype=tokens.dtype)
        eye.fill_diagonal_(0.0)
        out = trunk.blocks[-1](tokens, rope=rope, attn_mask=eye)
        out = trunk.norm(out)[:, trunk.num_prefix_tokens:]
        return F.normalize(self._to_map(self.head(out), h, w), dim=1)

    @staticmethod
    def _to_map(tokens: Tensor, h: int, w: int) -> Tensor:
        return tokens.reshape(tokens.shape[0], h, w, -1).permute(0, 3, 1, 2).contiguous()

    def train(self, mode: bool = True) -> 'OpenCLIPEVA':
        super().train(mode)
        if self.finetune == 'frozen':
            self.trunk.eval()
        return self

    @property
    def out_channels(self) -> Tuple[int, ...]:
        """Channels of every output, in order."""
        dense = (self.embed_dim, ) if self.dense_embedding else ()
        return (self.width, ) * len(self.out_indices) + dense


def head_state_dict(state: dict) -> dict:
    """open_clip's image projection of the trunk (``visual.trunk.head.*``), prefix removed."""
    for prefix in TRUNK_PREFIXES:
        keys = {k[len(prefix) + len('head.'):]: v for k, v in state.items()
                if k.startswith(prefix + 'head.')}
        if keys:
            return keys
    return {k[len('head.'):]: v for k, v in state.items() if k.startswith('head.')}


def trunk_state_dict(state: dict) -> dict:
    """The trunk's keys of an open_clip / timm state dict (prefix removed, head dropped)."""
    for prefix in TRUNK_PREFIXES:
        if any(k.startswith(prefix) for k in state):
            state = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
            break
    return {k: v for k, v in state.items() if not k.startswith('head.')}


__all__ = ['OpenCLIPEVA', 'EVA_CLIP_MODELS', 'EVA_CLIP_EMBED_DIMS', 'trunk_state_dict',
           'head_state_dict']
