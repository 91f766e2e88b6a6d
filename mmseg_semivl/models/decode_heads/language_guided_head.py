"""SemiVL's language-guided decoder (Sec. 3.4, Fig. 4 of the paper)."""
from __future__ import annotations

from typing import Callable, Dict, List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS
from torch import Tensor
from torch.utils.checkpoint import checkpoint

from .class_attention import SemanticReasoning
from .feature_perturbation import FeaturePerturbationMixin
from .spatial_reasoning import SpatialReasoning
from .upsample_block import UpBlock

#: Constructor switches of the decoder-ablation rows of the paper's Table 8.
DECODER_ABLATIONS: Dict[str, dict] = {
    'Joint Reasoning': dict(joint_reasoning=True),
    'VL Similarity': dict(spatial_reasoning=False, semantic_reasoning=False, upsampling=False),
    'VL S. + Up': dict(spatial_reasoning=False, semantic_reasoning=False),
    'VL S. + Up + Spatial': dict(semantic_reasoning=False),
    'VL S. + Up + Spatial + Semantic': dict(),
}

#: ``aggregation`` values of ``build_text_embeddings`` that give one embedding per class.
PER_CLASS_AGGREGATIONS = ('name', 'mean')


@MODELS.register_module()
class LanguageGuidedHead(FeaturePerturbationMixin, BaseDecodeHead):
    """Decoder that reasons over vision-language similarity maps.

    Pipeline (d = ``channels``, N classes, dense grid h x w = H/16 x W/16):

    1. Cosine similarity of the dense CLIP embedding with every class text
       embedding (fp32) -> (B, N, h, w).
    2. Spatial reasoning, shared across classes: every map is a separate
       sample through a 7x7 conv 1 -> d and a residual ASPP
       (:class:`SpatialReasoning`) -> (B, N, d, h, w).
    3. Semantic reasoning, shared across positions: class-attention blocks on
       4x4-pooled maps with the classes as tokens, anchored by projected text
       embeddings (:class:`SemanticReasoning`).
    4. Up-sampling, per class: transposed-conv blocks fusing projected skip
       features of earlier ViT blocks (:class:`UpBlock`), deepest skip first.
    5. A 3x3 conv (``conv_seg``, shared by all classes) -> one logit per
       class. No logit scale.

    Inputs are the backbone tuple ``(skip_0, ..., skip_k, dense)`` selected by
    ``in_index`` with ``input_transform='multiple_select'``; the last selected
    tensor is the L2-normalised dense embedding, the others are skips in
    backbone order (shallowest first).

    The class text embeddings live in the persistent buffer
    ``text_embeddings`` (N, ``text_channels``): they travel with checkpoints
    (loading a checkpoint adopts its N) and can be replaced at run time by
    :meth:`set_text_embeddings` for any N (open-vocabulary inference), which
    also updates ``num_classes``/``out_channels``. BaseDecodeHead's
    ``conv_seg`` is overridden by the per-class 3x3 logit conv.

    Decoder ablations (paper Table 8; :data:`DECODER_ABLATIONS`):

    - 'Joint Reasoning': ``joint_reasoning=True``. The N similarity maps enter
      the spatial reasoning together as channels (7x7 conv N -> N*d, ASPP on
      N*d channels), i.e. no parameter sharing across classes and N fixed at
      construction; the result is split into N per-class d-channel maps and
      semantic reasoning and up-sampling follow unchanged.
    - 'VL Similarity': ``spatial_reasoning=False, semantic_reasoning=False,
      upsampling=False``.
    - 'VL S. + Up': ``spatial_reasoning=False, semantic_reasoning=False``.
    - 'VL S. + Up + Spatial': ``semantic_reasoning=False``.
    - 'VL S. + Up + Spatial + Semantic': the defaults (full decoder).

    Without spatial reasoning the 7x7 conv and the ASPP are replaced by a 1x1
    conv 1 -> d, a per-pixel embedding with no spatial context, so that the
    following modules still receive d channels. Without semantic reasoning the
    class-attention blocks and the text projection are left out. Without
    up-sampling the logit conv runs at 1/16 and the logits are resized
    bilinearly by ``2 ** len(up_channels)`` (to 1/4); skips are then unused.

    Cost grows with B x N. ``class_chunk_size`` runs the per-class parts
    (spatial reasoning, up-sampling) on chunks of classes; semantic reasoning
    needs all classes and runs on the full 1/16-resolution volume. With
    ``with_cp`` each chunk is activation-checkpointed, which bounds training
    memory by one chunk of up-sampling activations.

    Args:
        in_channels (Sequence[int]): Channels of the selected inputs, skips
            first, dense embedding last. Default: (768, 768, 512).
        channels (int): Per-class feature width d. Default: 128.
        num_classes (int, optional): Number of classes N when the text
            embeddings are set later (:meth:`set_text_embeddings` or a
            checkpoint). Default: None (taken from ``text_embeddings``).
        text_embeddings (dict, optional): Keyword arguments of
            :func:`mmseg_semivl.models.text.build_text_embeddings` to build the
            buffer at init; ``aggregation`` must be one of
            :data:`PER_CLASS_AGGREGATIONS`. Default: None.
        text_channels (int): Width of the text embeddings; equals the dense
            embedding width ``in_channels[-1]``. Default: 512.
        text_proj_channels (int): Width of the projected text appended to each
            class token. Default: 128.
        embed_kernel_size (int): Kernel of the first spatial conv. Default: 7.
        aspp_dilations (Sequence[int]): Dilations of the residual ASPP
            (1 = 1x1 conv). Default: (1, 6, 12, 18).
        num_semantic_layers (int): Class-attention blocks. Default: 2.
        num_heads (int): Attention heads. Default: 4.
        feedforward_channels (int): FFN width of the blocks. Default: 512.
        pool_size (int): Average pooling before class attention. Default: 4.
        skip_channels (Sequence[int], optional): Projected width of each skip, in
            backbone order (block 0 -> 16, block 4 -> 32). Default None follows
            ``channels`` as the reference's widths do at d = 128:
            ``(d // 8, d // 4)`` = (16, 32); one entry per skip input.
        up_channels (Sequence[int], optional): Output width of each up-block, in
            decoder order. Default None: ``(d // 2, d // 4)`` = (64, 32).
        gn_channels_per_group (int): GroupNorm groups = channels // this
            (8 groups at d = 128, as in the reference). Default: 16.
        gn_type (str): Norm type of those GroupNorms. ``'AutocastGN'``
            (:class:`~mmseg_semivl.models.utils.AutocastGroupNorm`) normalises
            in the autocast dtype under AMP instead of fp32, which keeps about
            half the decoder's activations for the backward (the decoder holds
            most of a step's memory); same parameters and state dict, same
            result without autocast. Default: 'GN' (autocast's fp32 norms).
        spatial_reasoning (bool): See the ablations. Default: True.
        semantic_reasoning (bool): See the ablations. Default: True.
        upsampling (bool): See the ablations. Default: True.
        joint_reasoning (bool): See the ablations. Default: False.
        fp_dropout (float): Dropout2d rate of the feature perturbation.
            Default: 0.5.
        class_chunk_size (int, optional): Classes per chunk of the per-class
            parts; None processes all classes at once. Default: None.
        with_cp (bool): Activation-checkpoint every per-class chunk.
            Default: False.
        channels_last (bool): Run the per-class conv stacks (spatial
            reasoning, up-blocks, ``conv_seg``) and the skip projections in
            ``torch.channels_last`` memory format: their inputs are converted
            on entry and their 4-D conv weights are stored channels_last
            (``.to()``, optimizers and ``load_state_dict`` keep that layout).
            Only the layout changes: state dicts hold the same values either
            way, so checkpoints are interchangeable, and the logits are the
            same (up to float rounding) normal NCHW tensor. Off by default:
            the GroupNorm after most convs may convert back to NCHW on some
            backends, which adds copies, and the benefit on GPU is unmeasured
            here (CPU: ``tools/analysis/benchmark_decoder_memory_format.py``).
            Default: False.
        resize_align_corners (bool): ``align_corners`` of the internal
            resizes (ASPP pooling, class-attention update, skips).
            Default: True (reference). ``align_corners`` (BaseDecodeHead) only
            governs resizing logits to label/image size.
        in_index (Sequence[int]): Indices of the inputs in the backbone tuple.
            Default: (0, 1, 2).
        input_transform (str): Must be 'multiple_select'.
        init_cfg (dict, optional): Initialisation config. Default: None
            (PyTorch defaults, as the reference).
        **kwargs: Further BaseDecodeHead arguments (``loss_decode``,
            ``ignore_index``, ``align_corners``, ``act_cfg``, ...).

    Shape:
        - inputs: skips (B, in_channels[i], H_i, W_i), dense (B, text_channels,
          H/16, W/16)
        - output: (B + num_perturbed, N, H/4, W/4)
    """

    def __init__(self,
                 in_channels: Sequence[int] = (768, 768, 512),
                 channels: int = 128,
                 num_classes: Optional[int] = None,
                 text_embeddings: Optional[dict] = None,
                 text_channels: int = 512,
                 text_proj_channels: int = 128,
                 embed_kernel_size: int = 7,
                 aspp_dilations: Sequence[int] = (1, 6, 12, 18),
                 num_semantic_layers: int = 2,
                 num_heads: int = 4,
                 feedforward_channels: int = 512,
                 pool_size: int = 4,
                 skip_channels: Optional[Sequence[int]] = None,
                 up_channels: Optional[Sequence[int]] = None,
                 gn_channels_per_group: int = 16,
                 gn_type: str = 'GN',
                 spatial_reasoning: bool = True,
                 semantic_reasoning: bool = True,
                 upsampling: bool = True,
                 joint_reasoning: bool = False,
                 fp_dropout: float = 0.5,
                 class_chunk_size: Optional[int] = None,
                 with_cp: bool = False,
                 channels_last: bool = False,
                 resize_align_corners: bool = True,
                 in_index: Sequence[int] = (0, 1, 2),
                 input_transform: str = 'multiple_select',
                 init_cfg: Optional[dict] = None,
                 **kwargs) -> None:
        if input_transform != 'multiple_select':
            raise ValueError("LanguageGuidedHead needs input_transform='multiple_select', "
                             f'got {input_transform!r}')
        if 'norm_cfg' in kwargs:
            raise ValueError('LanguageGuidedHead uses GroupNorm throughout; set '
                             'gn_channels_per_group instead of norm_cfg')
        in_channels = tuple(in_channels)
        skip_channels, up_channels = self.default_widths(channels, len(in_channels) - 1,
                                                         skip_channels, up_channels)
        self._check_config(in_channels, channels, text_channels, skip_channels, up_channels,
                           spatial_reasoning, joint_reasoning, upsampling, class_chunk_size)
        embeddings = None
        if text_embeddings is not None:
            embeddings = self._build_text_embeddings(text_embeddings)
            if num_classes is not None and num_classes != embeddings.shape[0]:
                raise ValueError(f'num_classes={num_classes} but text_embeddings builds '
                                 f'{embeddings.shape[0]} class embeddings')
            num_classes = embeddings.shape[0]
        if num_classes is None or num_classes < 1:
            raise ValueError('LanguageGuidedHead needs num_classes >= 1 or a text_embeddings '
                             f'config, got num_classes={num_classes}')
        super().__init__(
            in_channels, channels, num_classes=num_classes, dropout_ratio=0.,
            in_index=list(in_index), input_transform=input_transform, init_cfg=init_cfg,
            **kwargs)
        self.text_channels = text_channels
        self.fp_dropout = fp_dropout
        self.class_chunk_size = class_chunk_size
        self.with_cp = with_cp
        self.joint_reasoning = joint_reasoning
        self.upsampling = upsampling
        self.upsample_factor = 2**len(up_channels)

        # Persistent: checkpoints carry the vocabulary the head was trained with.
        self.register_buffer('text_embeddings', torch.zeros(num_classes, text_channels))
        self._has_text_embeddings = False
        if embeddings is not None:
            self.set_text_embeddings(embeddings)

        # The class itself, so that the norm builds outside the mmseg scope too.
        gn_class = MODELS.get(gn_type)
        if gn_class is None or not issubclass(gn_class, nn.GroupNorm):
            raise ValueError(f"gn_type={gn_type!r} is not a registered GroupNorm ('GN', "
                             "'AutocastGN')")

        def group_norm(num_channels: int) -> dict:
            return dict(type=gn_class, num_groups=max(num_channels // gn_channels_per_group, 1))

        if joint_reasoning:
            self.spatial_reasoning = SpatialReasoning(
                num_classes, num_classes * channels, embed_kernel_size, aspp_dilations,
                group_norm(num_classes * channels), self.act_cfg, resize_align_corners)
        elif spatial_reasoning:
            self.spatial_reasoning = SpatialReasoning(
                1, channels, embed_kernel_size, aspp_dilations, group_norm(channels),
                self.act_cfg, resize_align_corners)
        else:
            self.spatial_reasoning = nn.Conv2d(1, channels, kernel_size=1)

        self.semantic_reasoning = SemanticReasoning(
            channels, text_channels, text_proj_channels, num_semantic_layers, num_heads,
            feedforward_channels, pool_size, resize_align_corners) if semantic_reasoning else None

        self.skip_projs = nn.ModuleList()
        self.up_blocks = nn.ModuleList()
        if upsampling:
            self.skip_projs.extend(
                ConvModule(c_in, c_out, 3, padding=1, act_cfg=self.act_cfg)
                for c_in, c_out in zip(in_channels[:-1], skip_channels))
            block_in = channels
            # Up-block i fuses the i-th deepest skip.
            for block_out, skip in zip(up_channels, reversed(skip_channels)):
                self.up_blocks.append(
                    UpBlock(block_in, skip, block_out, group_norm(block_out), self.act_cfg,
                            resize_align_corners))
                block_in = block_out
        # Overrides BaseDecodeHead's 1x1 conv: one logit per class map, shared by all classes.
        self.conv_seg = nn.Conv2d(
            up_channels[-1] if upsampling else channels, 1, kernel_size=3, padding=1)

        self.channels_last = channels_last
        if channels_last:
            # In-place re-layout of the 4-D conv weights; .to()/copy_ preserve it.
            for module in (self.spatial_reasoning, self.skip_projs, self.up_blocks,
                           self.conv_seg):
                module.to(memory_format=torch.channels_last)

    @staticmethod
    def default_widths(channels: int, num_skips: int, skip_channels: Optional[Sequence[int]],
                       up_channels: Optional[Sequence[int]]) -> tuple:
        """Skip and up-block widths; None follows ``channels`` (halving per stage).

        The reference's (16, 32) skips and (64, 32) up-blocks at d = 128 are
        ``d // 2 ** (k + 1)`` for the up-blocks and the up-block width over two for the
        skip each one fuses; a narrower decoder for small models scales the same way.
        """
        if up_channels is None:
            up_channels = tuple(max(channels // 2**(k + 1), 1) for k in range(num_skips))
        if skip_channels is None:
            # The k-th up-block (deepest skip first) fuses a skip of half its input width.
            block_in = (channels, ) + tuple(up_channels)[:-1]
            skip_channels = tuple(reversed([max(c // 4, 1) for c in block_in]))
        return tuple(skip_channels), tuple(up_channels)

    @staticmethod
    def _check_config(in_channels: tuple, channels: int, text_channels: int,
                      skip_channels: tuple, up_channels: tuple, spatial_reasoning: bool,
                      joint_reasoning: bool, upsampling: bool,
                      class_chunk_size: Optional[int]) -> None:
        if in_channels[-1] != text_channels:
            raise ValueError(f'the dense embedding width in_channels[-1]={in_channels[-1]} must '
                             f'equal text_channels={text_channels}')
        if len(skip_channels) != len(in_channels) - 1:
            raise ValueError(f'skip_channels={skip_channels} needs one entry per skip input '
                             f'(in_channels={in_channels} has {len(in_channels) - 1})')
        if upsampling and len(up_channels) != len(skip_channels):
            raise ValueError(f'up_channels={up_channels} needs one up-block per skip '
                             f'(skip_channels={skip_channels})')
        if upsampling:
            block_in = (channels, ) + up_channels[:-1]
            for k, (c_in, skip) in enumerate(zip(block_in, reversed(skip_channels))):
                if not 0 <= skip < c_in:
                    raise ValueError(
                        f'up-block {k} gets {c_in} channels (channels={channels}, '
                        f'up_channels={up_channels}) and cannot fuse a skip of {skip} '
                        f'(skip_channels={skip_channels}); leave skip_channels and '
                        'up_channels unset to derive them from channels, or narrow the skips')
        if joint_reasoning and not spatial_reasoning:
            raise ValueError('joint_reasoning replaces the shared spatial reasoning; it cannot '
                             'be combined with spatial_reasoning=False')
        if class_chunk_size is not None and class_chunk_size < 1:
            raise ValueError(f'class_chunk_size must be >= 1 or None, got {class_chunk_size}')

    @staticmethod
    def _build_text_embeddings(cfg: dict) -> Tensor:
        """Build one text embedding per class from ``build_text_embeddings`` kwargs."""
        if not isinstance(cfg, dict):
            raise TypeError(f'text_embeddings must be a dict of build_text_embeddings '
                            f'arguments, got {type(cfg).__name__}')
        aggregation = cfg.get('aggregation')
        if aggregation not in PER_CLASS_AGGREGATIONS:
            raise ValueError(f'text_embeddings.aggregation={aggregation!r}: the decoder needs '
                             f'one embedding per class, use one of {PER_CLASS_AGGREGATIONS}')
        # Imported here: the text package is independent of the decoder and
        # loads open_clip, which only this optional path needs.
        from mmseg_semivl.models.text import build_text_embeddings
        return build_text_embeddings(**cfg).embeddings

    def set_text_embeddings(self, embeddings: Tensor) -> None:
        """Replace the class text embeddings; N may change (open vocabulary).

        Args:
            embeddings (Tensor): (N, text_channels) class text embeddings
                (normalised internally).

        Note:
            MMSeg's ``EncoderDecoder`` copies ``num_classes``/``out_channels``
            from its head at construction; a segmentor that changes N here
            must refresh its own copies (e.g. for slide inference).
        """
        embeddings = torch.as_tensor(embeddings)
        if embeddings.ndim != 2 or embeddings.shape[1] != self.text_channels:
            raise ValueError(f'text embeddings must have shape (N, {self.text_channels}), '
                             f'got {tuple(embeddings.shape)}')
        num_classes = embeddings.shape[0]
        if num_classes < 1:
            raise ValueError('text embeddings must hold at least one class')
        if self.joint_reasoning and num_classes != self.num_classes:
            raise ValueError(f'joint_reasoning fixes N={self.num_classes} at construction, '
                             f'got {num_classes} text embeddings')
        self.text_embeddings = embeddings.detach().to(
            device=self.text_embeddings.device, dtype=torch.float32).clone()
        self.num_classes = self.out_channels = num_classes
        if num_classes == 1 and self.threshold is None:
            self.threshold = 0.3  # what BaseDecodeHead sets for a single output channel
        self._has_text_embeddings = True

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args, **kwargs) -> None:
        # Adopt the checkpoint's vocabulary (and its N) before the shape check.
        key = prefix + 'text_embeddings'
        if key in state_dict:
            self.set_text_embeddings(state_dict[key])
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def _select_inputs(self, inputs: Sequence[Tensor]) -> List[Tensor]:
        return self._transform_inputs(inputs)

    def _similarity(self, dense: Tensor) -> Tensor:
        """Cosine similarity (B, N, h, w) of dense (B, C, h, w) and text embeddings."""
        if dense.shape[1] != self.text_channels:
            raise ValueError(f'dense embedding has {dense.shape[1]} channels, expected '
                             f'text_channels={self.text_channels}')
        # fp32 even under AMP: similarities of unit vectors differ in the 3rd
        # decimal, below bf16 resolution.
        with torch.autocast(device_type=dense.device.type, enabled=False):
            dense = F.normalize(dense.float(), dim=1)
            text = F.normalize(self.text_embeddings.float(), dim=-1)
            return torch.einsum('bchw,nc->bnhw', dense, text)

    def _checkpointed(self, fn: Callable[..., Tensor], *args: Tensor) -> Tensor:
        if self.with_cp and torch.is_grad_enabled():
            return checkpoint(fn, *args, use_reentrant=False)
        return fn(*args)

    def _conv_layout(self, x: Tensor) -> Tensor:
        """``x`` (4-D) in the memory format of the head's conv stacks."""
        if self.channels_last:
            return x.contiguous(memory_format=torch.channels_last)
        return x

    def _class_chunks(self, num_classes: int) -> List[slice]:
        size = self.class_chunk_size or num_classes
        return [slice(start, start + size) for start in range(0, num_classes, size)]

    def _spatial_per_class(self, similarity: Tensor) -> Tensor:
        """(B, n, h, w) similarities -> (B, n, d, h, w), classes as batch samples."""
        batch, num_classes, height, width = similarity.shape
        feats = self.spatial_reasoning(
            self._conv_layout(similarity.reshape(batch * num_classes, 1, height, width)))
        return feats.view(batch, num_classes, -1, height, width)

    def _upsample_per_class(self, feats: Tensor, *skips: Tensor) -> Tensor:
        """(B, n, d, h, w) class features -> (B, n, 4h, 4w) logits."""
        batch, num_classes = feats.shape[:2]
        x = self._conv_layout(feats.flatten(0, 1))
        for block, skip in zip(self.up_blocks, skips):
            x = block(x, skip)
        x = self.cls_seg(x)
        if not self.upsampling:
            x = F.interpolate(x, scale_factor=self.upsample_factor, mode='bilinear',
                              align_corners=self.align_corners)
        return x.view(batch, num_classes, *x.shape[2:])

    def _decode(self, feats: List[Tensor]) -> Tensor:
        """Decode [skip_0, ..., skip_k, dense] into (B, N, H/4, W/4) logits."""
        if not self._has_text_embeddings:
            raise RuntimeError('LanguageGuidedHead has no text embeddings: pass a '
                               'text_embeddings config, call set_text_embeddings() or load a '
                               'checkpoint that contains decode_head.text_embeddings')
        *skips, dense = feats
        similarity = self._similarity(dense)
        batch, num_classes, height, width = similarity.shape
        chunks = self._class_chunks(num_classes)

        if self.joint_reasoning:
            x = self.spatial_reasoning(self._conv_layout(similarity)).reshape(
                batch, num_classes, -1, height, width)
        else:
            x = torch.cat([
                self._checkpointed(self._spatial_per_class, similarity[:, chunk])
                for chunk in chunks
            ], dim=1)

        if self.semantic_reasoning is not None:
            x = self.semantic_reasoning(x, F.normalize(self.text_embeddings.float(), dim=-1))

        # Skips are projected once per image; deepest skip first, like the up-blocks.
        skips = [
            proj(self._conv_layout(skip)) for proj, skip in zip(self.skip_projs, skips)][::-1]
        return torch.cat([
            self._checkpointed(self._upsample_per_class, x[:, chunk], *skips)
            for chunk in chunks
        ], dim=1)
