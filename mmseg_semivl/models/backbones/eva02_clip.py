"""EVA02-CLIP's vision tower (open_clip's timm trunk) as a dense-prediction backbone."""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModule
from mmseg.registry import MODELS

#: open_clip model name -> the timm architecture of its vision trunk (open_clip 3.3.0).
TIMM_TRUNKS: Dict[str, str] = {
    'EVA02-L-14': 'eva02_large_patch14_clip_224',
    'EVA02-L-14-336': 'eva02_large_patch14_clip_336',
    'EVA02-B-16': 'eva02_base_patch16_clip_224',
}


@MODELS.register_module()
class EVA02CLIPBackbone(BaseModule):
    """The ViT of an EVA02-CLIP (timm ``Eva``) returning block outputs as feature maps.

    The trunk is built by timm with ``dynamic_img_size`` and ``dynamic_img_pad`` (a 512
    crop is not a multiple of patch 14: the image is padded, the absolute position
    embedding resampled and the rotary embedding recomputed for every token grid), and
    its weights come from open_clip's checkpoint (``visual.trunk.*`` of
    ``open_clip.create_model(model_name, pretrained)``). A segmentation neck (e.g. MMSeg's
    ``Feature2Pyramid``) makes the multi-scale pyramid.

    Args:
        model_name (str): open_clip model name (a key of :data:`TIMM_TRUNKS`).
            Default: 'EVA02-L-14'.
        pretrained (str, optional): open_clip tag (``'merged2b_s4b_b131k'``) or a local
            open_clip checkpoint; None: random weights. Default: 'merged2b_s4b_b131k'.
        out_indices (Sequence[int]): Blocks whose outputs are returned. Default:
            (7, 11, 15, 23) (a choice of segmentation work on EVA02-L; seed 001 gives none).
        timm_kwargs (dict, optional): Build ``timm.models.eva.Eva(**timm_kwargs)`` instead
            of the named architecture (tiny random towers in tests); ``pretrained`` must
            then be None.
        drop_path_rate (float): Stochastic depth of the trunk. Default: 0.1.
        with_cp (bool): Activation checkpointing of the blocks. Default: False.
        init_cfg (dict, optional): mmengine initialisation config.
    """

    def __init__(self,
                 model_name: str = 'EVA02-L-14',
                 pretrained: Optional[str] = 'merged2b_s4b_b131k',
                 out_indices: Sequence[int] = (7, 11, 15, 23),
                 timm_kwargs: Optional[dict] = None,
                 drop_path_rate: float = 0.1,
                 with_cp: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        import timm
        from timm.models.eva import Eva
        dynamic = dict(dynamic_img_size=True, dynamic_img_pad=True, num_classes=0,
                       drop_path_rate=drop_path_rate)
        if timm_kwargs is not None:
            if pretrained is not None:
                raise ValueError('EVA02CLIPBackbone: timm_kwargs builds a random tower; '
                                 'set pretrained=None')
            self.trunk = Eva(**{**timm_kwargs, **dynamic})
        else:
            if model_name not in TIMM_TRUNKS:
                raise ValueError(f'EVA02CLIPBackbone: unknown model {model_name!r}; known: '
                                 f'{sorted(TIMM_TRUNKS)}')
            self.trunk = timm.create_model(TIMM_TRUNKS[model_name], pretrained=False, **dynamic)
        depth = len(self.trunk.blocks)
        if not out_indices or any(not 0 <= i < depth for i in out_indices):
            raise ValueError(f'EVA02CLIPBackbone: out_indices must lie in [0, {depth}), got '
                             f'{tuple(out_indices)}')
        self.out_indices = tuple(out_indices)
        self.model_name = model_name
        self.pretrained = pretrained
        self.trunk.set_grad_checkpointing(with_cp)
        # Blocks after the last returned one never run; without parameters they cannot
        # confuse DDP (unused parameters) or the optimizer.
        self.trunk.prune_intermediate_layers(self.out_indices, prune_norm=True, prune_head=True)
        self.embed_dim = self.trunk.embed_dim

    def init_weights(self) -> None:
        super().init_weights()
        if self.pretrained is None:
            return
        import open_clip
        clip = open_clip.create_model(self.model_name, pretrained=self.pretrained)
        state = {k[len('visual.trunk.'):]: v for k, v in clip.state_dict().items()
                 if k.startswith('visual.trunk.')}
        missing, _ = self.trunk.load_state_dict(state, strict=False)
        if missing:
            raise KeyError(f'EVA02CLIPBackbone: the checkpoint lacks {len(missing)} trunk '
                           f'weights, e.g. {missing[0]!r}')

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Block outputs as maps.

        Args:
            x (Tensor): (B, 3, H, W) CLIP-normalised images.

        Returns:
            tuple[Tensor]: One (B, embed_dim, ceil(H / p), ceil(W / p)) map per
            ``out_indices`` entry.
        """
        feats: List[torch.Tensor] = self.trunk.forward_intermediates(
            x, indices=list(self.out_indices), output_fmt='NCHW', intermediates_only=True)
        return tuple(feats)
