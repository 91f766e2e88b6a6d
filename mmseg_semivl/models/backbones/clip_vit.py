"""CLIP ViT vision tower with dense MaskCLIP outputs and SemiVL's fine-tuning strategies."""
from __future__ import annotations

from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from open_clip.transformer import ResidualAttentionBlock
from torch import nn
from torch.utils.checkpoint import checkpoint

from .finetune import check_finetune_mode, is_trainable, resolve_train_pos_embed
from .lora import LoRAAttention
from .open_clip_builder import build_clip
from .pos_embed import resize_pos_embed
from ...utils.sizes import size_pair
from .prompt_tuning import DeepPrompts


@MODELS.register_module()
class CLIPVisionTransformer(BaseModule):
    """Vision tower of an open_clip ViT for dense prediction (SemiVL's encoder).

    The tower is built by open_clip with the activation of the chosen weights
    (QuickGELU for OpenAI's), then only its vision modules are kept. The positional
    embedding is resized bicubically to the ``img_size`` grid at load time and again
    on the fly for any other token grid (sliding-window borders, padded crops).

    ``forward`` returns the SemiVL decoder inputs: for each block in ``skip_blocks`` the
    MaskCLIP value path applied to that block's input (width ``width``), and the dense
    MaskCLIP embedding of the last block (``embed_dim``, L2-normalised)::

        v = x + out_proj(v_proj(LN1(x)));  v = v + MLP(LN2(v))
        dense = normalize(LN_post(v) @ proj)        # last block's q and k are unused

    Fine-tuning strategies (paper Table 7; trainable counts for ViT-B/16 at 512 px):
    ``'spatial'`` (default) attention in/out projections + positional embedding
    (29,135,616); ``'full'`` everything (86,828,544); ``'frozen'`` nothing; ``'lora'``
    rank-8 residuals on W_q, W_k, W_v, W_o + positional embedding (1,377,024);
    ``'prompt'`` deep prompt tuning, 10 tokens per block (682,752). Frozen parameters
    have ``requires_grad=False``.

    Args:
        model_name (str): open_clip ViT name ('ViT-B-16', 'ViT-B-32', 'ViT-L-14', ...);
            only a label when ``model_cfg`` is given.
        pretrained (str, optional): open_clip tag (e.g. 'openai', downloaded on a
            connected machine), a local checkpoint path, or None for random weights.
        img_size (int | tuple[int, int]): Crop size the positional embedding is
            resized to at load. Default: 512.
        finetune (str): 'spatial' | 'full' | 'frozen' | 'lora' | 'prompt'.
        skip_blocks (Sequence[int]): Blocks whose inputs give skip features. Default: (0, 4).
        model_cfg (Mapping, optional): Explicit open_clip architecture (kwargs of
            ``open_clip.model.CLIP``), e.g. ``TINY_CLIP_CFG``.
        quick_gelu (bool, optional): Force QuickGELU on/off; None follows the weights
            (QuickGELU for the 'openai' tag or a '-quickgelu' model name). A local file
            cannot tell its activation: for a copy of OpenAI's weights pass True.
        train_pos_embed (bool, optional): Train the positional embedding; None uses the
            strategy's default (see ``finetune.POS_EMBED_TRAINED_BY_DEFAULT``).
        lora_rank (int): LoRA rank. Default: 8.
        lora_scaling (float): LoRA residual scale. Default: 1.0.
        lora_targets (str): Projections adapted by LoRA. Default: 'qkvo'.
        num_prompt_tokens (int): Deep prompt tokens per block. Default: 10.
        prompt_dropout (float): Dropout on the prompts. Default: 0.1.
        with_cp (bool): Activation checkpointing of the blocks during training.
        init_cfg (dict, optional): mmengine initialisation config.
    """

    def __init__(self,
                 model_name: str = 'ViT-B-16',
                 pretrained: Optional[str] = None,
                 img_size: Union[int, Sequence[int]] = 512,
                 finetune: str = 'spatial',
                 skip_blocks: Sequence[int] = (0, 4),
                 model_cfg: Optional[Mapping] = None,
                 quick_gelu: Optional[bool] = None,
                 train_pos_embed: Optional[bool] = None,
                 lora_rank: int = 8,
                 lora_scaling: float = 1.0,
                 lora_targets: str = 'qkvo',
                 num_prompt_tokens: int = 10,
                 prompt_dropout: float = 0.1,
                 with_cp: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.model_name = model_name
        self.finetune = check_finetune_mode(finetune)
        self.with_cp = with_cp

        clip = build_clip(model_name, pretrained, model_cfg, quick_gelu)
        visual = clip.visual
        del clip  # only the vision tower is kept; the text tower is freed here
        self._check_supported(visual)

        patch_h, patch_w = size_pair(visual.patch_size, 'patch_size')
        if patch_h != patch_w:
            raise ValueError(f'Only square patches are supported, got {visual.patch_size}.')
        self.patch_size = patch_h
        self.width = visual.conv1.out_channels
        self.embed_dim = visual.proj.shape[1] if visual.proj is not None else self.width
        self.pool_type = visual.pool_type
        self.final_ln_after_pool = visual.final_ln_after_pool

        self.conv1 = visual.conv1
        self.class_embedding = visual.class_embedding
        self.img_size = size_pair(img_size, 'img_size')
        self.grid_size = (self.img_size[0] // self.patch_size, self.img_size[1] // self.patch_size)
        self.positional_embedding = nn.Parameter(
            resize_pos_embed(visual.positional_embedding.data, tuple(visual.grid_size),
                             self.grid_size))
        self.ln_pre = visual.ln_pre
        self.resblocks = visual.transformer.resblocks
        self.ln_post = visual.ln_post
        self.proj = visual.proj
        self.num_layers = len(self.resblocks)

        self.skip_blocks = tuple(int(i) for i in skip_blocks)
        bad = [i for i in self.skip_blocks if not 0 <= i < self.num_layers]
        if bad or len(set(self.skip_blocks)) != len(self.skip_blocks):
            raise ValueError(f'skip_blocks {self.skip_blocks} must be distinct block indices '
                             f'in [0, {self.num_layers}).')

        self.lora = nn.ModuleList([
            LoRAAttention(self.width, lora_rank, lora_scaling, lora_targets)
            for _ in range(self.num_layers)
        ]) if finetune == 'lora' else None
        self.prompts = DeepPrompts(
            self.num_layers, self.width, num_prompt_tokens, self.patch_size,
            prompt_dropout) if finetune == 'prompt' else None

        self.train_pos_embed = resolve_train_pos_embed(finetune, train_pos_embed)
        for name, param in self.named_parameters():
            param.requires_grad_(is_trainable(name, finetune, self.train_pos_embed))
        self.train(self.training)

    @staticmethod
    def _check_supported(visual: nn.Module) -> None:
        # Options of open_clip's VisionTransformer that the dense forward would silently
        # get wrong; the architecture check in open_clip_builder rejects most of them.
        if getattr(visual, 'attn_pool', None) is not None or visual.pool_type == 'none':
            raise ValueError('CLIP vision towers with attentional pooling are not supported.')
        if not isinstance(visual.patch_dropout, nn.Identity):
            raise ValueError('patch_dropout > 0 drops tokens and cannot give dense outputs.')
        for block in visual.transformer.resblocks:
            if not isinstance(block, ResidualAttentionBlock) or not isinstance(
                    block.attn, nn.MultiheadAttention) or block.attn.in_proj_weight is None:
                raise ValueError('Only open_clip ViTs with standard residual attention blocks '
                                 f'are supported, got {type(block).__name__}.')

    def train(self, mode: bool = True) -> 'CLIPVisionTransformer':
        """A frozen tower always stays in eval mode (it is a fixed feature extractor)."""
        return super().train(mode and self.finetune != 'frozen')

    # ------------------------------------------------------------------ tokens
    def pos_embed_for(self, grid: Tuple[int, int]) -> torch.Tensor:
        """(1 + h * w, width) positional embedding for a token grid, resized if needed."""
        return resize_pos_embed(self.positional_embedding, self.grid_size, grid)

    def embed(self, x: torch.Tensor) -> Tuple[torch.Tensor, Tuple[int, int]]:
        """Patch embedding + class token + positional embedding + pre-LN.

        Args:
            x (Tensor): (B, 3, H, W) normalised images.

        Returns:
            tuple: tokens (B, 1 + h * w, width) and the grid (h, w) = (H // p, W // p).
        """
        x = self.conv1(x)
        grid = (x.shape[2], x.shape[3])
        x = x.flatten(2).transpose(1, 2)
        cls = self.class_embedding.to(x.dtype).view(1, 1, -1).expand(x.shape[0], -1, -1)
        x = torch.cat([cls, x], dim=1) + self.pos_embed_for(grid).to(x.dtype)
        return self.ln_pre(x), grid

    # ------------------------------------------------------------------ blocks
    def _attn_weights(self, index: int) -> Tuple[torch.Tensor, Optional[torch.Tensor],
                                                  torch.Tensor, Optional[torch.Tensor]]:
        attn = self.resblocks[index].attn
        in_w, out_w = attn.in_proj_weight, attn.out_proj.weight
        if self.lora is not None:
            in_w = self.lora[index].merged_in_proj(in_w)
            out_w = self.lora[index].merged_out_proj(out_w)
        return in_w, attn.in_proj_bias, out_w, attn.out_proj.bias

    def attention(self, index: int, x: torch.Tensor) -> torch.Tensor:
        """Multi-head self-attention of block ``index`` with F.scaled_dot_product_attention.

        Args:
            index (int): Block index.
            x (Tensor): (B, N, width) LayerNorm-ed tokens.

        Returns:
            Tensor: (B, N, width) after the output projection.
        """
        in_w, in_b, out_w, out_b = self._attn_weights(index)
        batch, num_tokens, width = x.shape
        heads = self.resblocks[index].attn.num_heads
        qkv = F.linear(x, in_w, in_b).view(batch, num_tokens, 3, heads, width // heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)  # each (B, heads, N, head_dim)
        out = F.scaled_dot_product_attention(q, k, v)
        return F.linear(out.transpose(1, 2).reshape(batch, num_tokens, width), out_w, out_b)

    def block(self, index: int, x: torch.Tensor) -> torch.Tensor:
        """Pre-LN transformer block ``index`` on (B, N, width) tokens (deep prompts included)."""
        blk = self.resblocks[index]
        if self.prompts is not None:
            x = self.prompts.insert(x, index)
        x = x + blk.ls_1(self.attention(index, blk.ln_1(x)))
        x = x + blk.ls_2(blk.mlp(blk.ln_2(x)))
        if self.prompts is not None:
            x = self.prompts.remove(x)
        return x

    def value_path(self, index: int, x: torch.Tensor) -> torch.Tensor:
        """MaskCLIP value path of block ``index``: the block with attention replaced by v.

        ``v = x + out_proj(v_proj(LN1(x))); v = v + MLP(LN2(v))``. Each token is
        processed on its own, so no token mixing happens (and prompts are irrelevant).

        Args:
            index (int): Block index.
            x (Tensor): (B, N, width) block input.

        Returns:
            Tensor: (B, N, width).
        """
        blk = self.resblocks[index]
        in_w, in_b, out_w, out_b = self._attn_weights(index)
        width = self.width
        v_b = None if in_b is None else in_b[2 * width:]
        v = F.linear(F.linear(blk.ln_1(x), in_w[2 * width:], v_b), out_w, out_b)
        v = x + blk.ls_1(v)
        return v + blk.ls_2(blk.mlp(blk.ln_2(v)))

    def _run_block(self, index: int, x: torch.Tensor) -> torch.Tensor:
        if self.with_cp and self.training and torch.is_grad_enabled():
            return checkpoint(self.block, index, x, use_reentrant=False)
        return self.block(index, x)

    @staticmethod
    def _to_map(tokens: torch.Tensor, grid: Tuple[int, int]) -> torch.Tensor:
        """(B, 1 + h * w, C) tokens -> (B, C, h, w) map of the patch tokens."""
        return tokens[:, 1:].transpose(1, 2).reshape(tokens.shape[0], -1, *grid).contiguous()

    def project(self, tokens: torch.Tensor) -> torch.Tensor:
        """Final LayerNorm and projection to the joint space: (..., width) -> (..., D)."""
        tokens = self.ln_post(tokens)
        return tokens @ self.proj if self.proj is not None else tokens

    # ------------------------------------------------------------------ outputs
    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Skip features and dense MaskCLIP embeddings.

        Args:
            x (Tensor): (B, 3, H, W) normalised images.

        Returns:
            tuple[Tensor]: ``(skip_0, ..., skip_k, dense)``: one (B, width, H/p, W/p)
            map per entry of ``skip_blocks`` and the dense (B, embed_dim, H/p, W/p)
            embedding, L2-normalised over channels.
        """
        tokens, grid = self.embed(x)
        skips: Dict[int, torch.Tensor] = {}
        last = self.num_layers - 1
        for index in range(last):
            if index in self.skip_blocks:
                skips[index] = self._to_map(self.value_path(index, tokens), grid)
            tokens = self._run_block(index, tokens)
        if last in self.skip_blocks:
            skips[last] = self._to_map(self.value_path(last, tokens), grid)
        # The last block's full attention output is not needed for dense prediction.
        dense = self.project(self.value_path(last, tokens))
        dense = F.normalize(self._to_map(dense, grid), dim=1)
        return tuple(skips[i] for i in self.skip_blocks) + (dense, )

    def encode_image(self, x: torch.Tensor, normalize: bool = False) -> torch.Tensor:
        """Global image embedding, equal to open_clip's ``CLIP.encode_image``.

        Args:
            x (Tensor): (B, 3, H, W) normalised images.
            normalize (bool): L2-normalise the output.

        Returns:
            Tensor: (B, embed_dim).
        """
        tokens, _ = self.embed(x)
        for index in range(self.num_layers):
            tokens = self._run_block(index, tokens)
        # Same order as open_clip's VisionTransformer._pool: LN before or after pooling.
        if not self.final_ln_after_pool:
            tokens = self.ln_post(tokens)
        pooled = tokens[:, 1:].mean(dim=1) if self.pool_type == 'avg' else tokens[:, 0]
        if self.final_ln_after_pool:
            pooled = self.ln_post(pooled)
        if self.proj is not None:
            pooled = pooled @ self.proj
        return F.normalize(pooled, dim=-1) if normalize else pooled

    def trainable_parameter_names(self) -> List[str]:
        """Names of the parameters trained under the chosen strategy."""
        return [name for name, param in self.named_parameters() if param.requires_grad]
