import mmseg_semivl  # noqa: F401

import pytest
import torch
import torch.nn.functional as F
from mmseg.registry import MODELS

from mmseg_semivl.models.backbones import CLIPVisionTransformer, resize_pos_embed


def build_tiny(tiny_clip_cfg, tiny_clip_checkpoint, **kwargs):
    kwargs.setdefault('img_size', 64)
    kwargs.setdefault('skip_blocks', (0, 2))
    return CLIPVisionTransformer(model_name='tiny', pretrained=tiny_clip_checkpoint,
                                 model_cfg=tiny_clip_cfg, **kwargs).eval()


def maskclip_reference(visual, images, skip_blocks):
    """Dense output and skip features computed from open_clip's own modules."""

    def value_path(block, x):
        width = x.shape[-1]
        attn = block.attn
        v = F.linear(block.ln_1(x), attn.in_proj_weight[2 * width:], attn.in_proj_bias[2 * width:])
        v = x + attn.out_proj(v)
        return v + block.mlp(block.ln_2(v))

    def to_map(tokens, grid):
        return tokens[:, 1:].transpose(1, 2).reshape(tokens.shape[0], -1, *grid)

    grid = (images.shape[2] // 16, images.shape[3] // 16)
    x = visual._embeds(images)
    skips = {}
    for index, block in enumerate(visual.transformer.resblocks):
        if index in skip_blocks:
            skips[index] = to_map(value_path(block, x), grid)
        if index < len(visual.transformer.resblocks) - 1:
            x = block(x)
    dense = visual.ln_post(value_path(visual.transformer.resblocks[-1], x)) @ visual.proj
    return [skips[i] for i in skip_blocks], F.normalize(to_map(dense, grid), dim=1)


@torch.no_grad()
def test_global_embedding_matches_open_clip(tiny_clip_cfg, tiny_clip_checkpoint, tiny_open_clip):
    backbone = build_tiny(tiny_clip_cfg, tiny_clip_checkpoint)
    images = torch.randn(2, 3, 64, 64)
    expected = tiny_open_clip.encode_image(images)
    assert expected.abs().max() > 0.1
    assert (backbone.encode_image(images) - expected).abs().max() < 1e-5
    assert torch.allclose(backbone.encode_image(images, normalize=True).norm(dim=-1),
                          torch.ones(2), atol=1e-6)


@torch.no_grad()
def test_dense_and_skips_match_maskclip_formula(tiny_clip_cfg, tiny_clip_checkpoint,
                                                tiny_open_clip):
    backbone = build_tiny(tiny_clip_cfg, tiny_clip_checkpoint, skip_blocks=(2, 0))
    images = torch.randn(2, 3, 64, 64)
    *skips, dense = backbone(images)
    ref_skips, ref_dense = maskclip_reference(tiny_open_clip.visual, images, (2, 0))
    assert dense.shape == (2, 64, 4, 4)
    assert (dense - ref_dense).abs().max() < 1e-5
    assert torch.allclose(dense.norm(dim=1), torch.ones(2, 4, 4), atol=1e-5)
    assert len(skips) == 2 and all(s.shape == (2, 64, 4, 4) for s in skips)
    for skip, ref in zip(skips, ref_skips):
        assert (skip - ref).abs().max() < 1e-5
    # The value path differs from the ordinary block output (attention is skipped).
    visual = tiny_open_clip.visual
    block_out = visual.transformer.resblocks[0](visual._embeds(images))[:, 1:]
    assert (skips[1].flatten(2).transpose(1, 2) - block_out).abs().max() > 1e-2
    assert backbone.width == 64 and backbone.embed_dim == 64 and backbone.patch_size == 16


def test_pos_embed_resized_bicubic_at_load(tiny_clip_cfg, tiny_clip_checkpoint, tiny_open_clip):
    backbone = build_tiny(tiny_clip_cfg, tiny_clip_checkpoint, img_size=512)
    source = tiny_open_clip.visual.positional_embedding.detach()
    assert backbone.positional_embedding.shape == (1 + 32 * 32, 64)
    assert backbone.grid_size == (32, 32)
    # CLS position kept, grid = plain bicubic (align_corners=False, no antialias).
    assert torch.equal(backbone.positional_embedding[0], source[0])
    grid = source[1:].reshape(1, 4, 4, 64).permute(0, 3, 1, 2)
    expected = F.interpolate(grid, size=(32, 32), mode='bicubic', align_corners=False)
    assert torch.allclose(backbone.positional_embedding[1:],
                          expected.permute(0, 2, 3, 1).reshape(-1, 64), atol=1e-6)


def test_resize_pos_embed_function():
    torch.manual_seed(0)
    pos = torch.randn(1 + 4 * 4, 8)
    assert resize_pos_embed(pos, (4, 4), (4, 4)) is pos
    out = resize_pos_embed(pos, (4, 4), (5, 7))
    assert out.shape == (1 + 35, 8) and torch.equal(out[0], pos[0])
    # A constant grid stays constant.
    constant = torch.cat([torch.zeros(1, 8), torch.full((16, 8), 3.0)])
    assert torch.allclose(resize_pos_embed(constant, (4, 4), (51, 51))[1:], torch.tensor(3.0))
    # Bicubic overshoots at a step edge (bilinear would not), and it is the plain
    # kernel of the reference, not open_clip's antialiased one.
    step = torch.zeros(1 + 16, 1)
    step[1:].view(4, 4)[:, 2:] = 1.0
    resized = resize_pos_embed(step, (4, 4), (8, 8))[1:].view(8, 8)
    assert resized.max() > 1.0 and resized.min() < 0.0
    antialiased = F.interpolate(step[1:].view(1, 1, 4, 4), size=(8, 8), mode='bicubic',
                                align_corners=False, antialias=True).view(8, 8)
    assert (resized - antialiased).abs().max() > 1e-3
    with pytest.raises(ValueError, match='does not match a 5x5 grid'):
        resize_pos_embed(pos, (5, 5), (8, 8))


@torch.no_grad()
def test_forward_on_other_grids(tiny_clip_cfg, tiny_clip_checkpoint):
    backbone = build_tiny(tiny_clip_cfg, tiny_clip_checkpoint, img_size=512, skip_blocks=(0, ))
    for size, grid in (((512, 512), (32, 32)), ((816, 816), (51, 51)), ((80, 112), (5, 7))):
        skip, dense = backbone(torch.randn(1, 3, *size))
        assert skip.shape == (1, 64, *grid) and dense.shape == (1, 64, *grid)
    # On the load grid no resize happens; elsewhere the resized embedding is used.
    assert backbone.pos_embed_for((32, 32)) is backbone.positional_embedding
    assert torch.allclose(backbone.pos_embed_for((51, 51)),
                          resize_pos_embed(backbone.positional_embedding, (32, 32), (51, 51)))


def test_pos_embed_gets_gradient_through_on_the_fly_resize(tiny_clip_cfg, tiny_clip_checkpoint):
    backbone = build_tiny(tiny_clip_cfg, tiny_clip_checkpoint).train()
    backbone(torch.randn(1, 3, 80, 112))[-1].sum().backward()
    assert backbone.positional_embedding.grad is not None
    assert backbone.positional_embedding.grad.abs().sum() > 0
    assert backbone.resblocks[0].attn.in_proj_weight.grad.abs().sum() > 0
    assert backbone.resblocks[0].mlp.c_fc.weight.grad is None  # frozen under 'spatial'


def test_activation_checkpointing_gives_same_result(tiny_clip_cfg, tiny_clip_checkpoint):
    images = torch.randn(2, 3, 64, 64)
    grads = []
    for with_cp in (False, True):
        backbone = build_tiny(tiny_clip_cfg, tiny_clip_checkpoint, finetune='full',
                              with_cp=with_cp).train()
        out = backbone(images)
        sum(o.square().sum() for o in out).backward()
        grads.append((out[-1].detach(), backbone.resblocks[1].mlp.c_fc.weight.grad.clone()))
    assert torch.allclose(grads[0][0], grads[1][0], atol=1e-6)
    assert torch.allclose(grads[0][1], grads[1][1], atol=1e-6)


def test_registry_build(tiny_clip_cfg, tiny_clip_checkpoint):
    backbone = MODELS.build(
        dict(type='CLIPVisionTransformer', model_name='tiny', pretrained=tiny_clip_checkpoint,
             model_cfg=tiny_clip_cfg, img_size=128, skip_blocks=(0, 2)))
    assert isinstance(backbone, CLIPVisionTransformer)
    assert len(backbone(torch.randn(1, 3, 128, 128))) == 3
    # Only the vision tower is kept.
    assert not any('token_embedding' in n or 'text' in n for n, _ in backbone.named_parameters())
