import mmseg_semivl  # noqa: F401

import pytest
import torch

from mmseg_semivl.models.backbones import CLIPVisionTransformer


def trainable(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def build_vit_b16(finetune):
    # Random ViT-B/16 weights on the meta device: the real module graph, no memory, no init cost.
    with torch.device('meta'):
        return CLIPVisionTransformer('ViT-B-16', pretrained=None, img_size=512, finetune=finetune)


def test_vit_b16_trainable_counts_match_paper_table7():
    spatial = CLIPVisionTransformer('ViT-B-16', pretrained=None, img_size=512)  # real build
    assert trainable(spatial) == 29_135_616  # "29.1 M"
    attention = 12 * (3 * 768 * 768 + 3 * 768 + 768 * 768 + 768)
    assert attention == 28_348_416
    assert spatial.positional_embedding.shape == (1025, 768)
    assert trainable(spatial) == attention + 1025 * 768
    names = spatial.trainable_parameter_names()
    assert all(n == 'positional_embedding' or '.attn.' in n for n in names)
    assert len(names) == 1 + 12 * 4
    assert not spatial.conv1.weight.requires_grad and not spatial.proj.requires_grad
    assert not spatial.class_embedding.requires_grad

    full = build_vit_b16('full')
    assert trainable(full) == 86_828_544
    assert round(trainable(full) / 1e6, 1) == 86.8  # "86.8 M"
    assert trainable(build_vit_b16('frozen')) == 0
    # LoRA r=8 on q, k, v, o of 12 blocks (589,824) + the resized pos-embed (787,200)
    # = 1,377,024, the paper's "1.4 M".
    lora = build_vit_b16('lora')
    assert trainable(lora) == 12 * 4 * 2 * 8 * 768 + 1025 * 768 == 1_377_024
    # Deep prompts: 12 blocks x 10 tokens x 768 + shared 768x768 projection = 682,752 ("0.7 M").
    prompt = build_vit_b16('prompt')
    assert trainable(prompt) == 12 * 10 * 768 + 768 * 768 + 768 == 682_752
    assert not prompt.positional_embedding.requires_grad


def test_train_pos_embed_override():
    model = CLIPVisionTransformer('tiny', model_cfg=dict(
        embed_dim=16, vision_cfg=dict(image_size=32, layers=1, width=32, head_width=16,
                                      patch_size=16),
        text_cfg=dict(width=16, heads=1, layers=1)), img_size=32, skip_blocks=(0, ),
        finetune='spatial', train_pos_embed=False)
    assert not model.positional_embedding.requires_grad
    assert trainable(model) == 3 * 32 * 32 + 3 * 32 + 32 * 32 + 32


def build_tiny(cfg, checkpoint, finetune, **kwargs):
    return CLIPVisionTransformer('tiny', pretrained=checkpoint, model_cfg=cfg, img_size=64,
                                 skip_blocks=(0, 2), finetune=finetune, **kwargs)


def test_lora_starts_at_pretrained_and_trains_only_adapters(tiny_clip_cfg, tiny_clip_checkpoint):
    images = torch.randn(2, 3, 64, 64)
    frozen = build_tiny(tiny_clip_cfg, tiny_clip_checkpoint, 'frozen')
    lora = build_tiny(tiny_clip_cfg, tiny_clip_checkpoint, 'lora').train()
    assert trainable(lora) == 3 * 4 * 2 * 8 * 64 + 17 * 64
    out = lora(images)
    with torch.no_grad():
        for a, b in zip(out, frozen(images)):
            assert torch.allclose(a, b, atol=1e-6)  # B = 0 at init
    out[-1].sum().backward()
    assert lora.lora[2].lora_b['v'].grad.abs().sum() > 0
    assert lora.resblocks[0].attn.in_proj_weight.grad is None
    # A non-zero residual changes the output exactly like merged weights would.
    with torch.no_grad():
        lora.lora[2].lora_b['v'].normal_()
        lora.eval()
        merged = build_tiny(tiny_clip_cfg, tiny_clip_checkpoint, 'frozen')
        width = 64
        merged.resblocks[2].attn.in_proj_weight[2 * width:] += lora.lora[2].delta('v')
        assert torch.allclose(lora(images)[-1], merged(images)[-1], atol=1e-5)
        assert not torch.allclose(lora(images)[-1], frozen(images)[-1], atol=1e-3)


def test_prompt_tuning_keeps_grid_and_trains_prompts(tiny_clip_cfg, tiny_clip_checkpoint):
    model = build_tiny(tiny_clip_cfg, tiny_clip_checkpoint, 'prompt', num_prompt_tokens=4).train()
    assert trainable(model) == 3 * 4 * 64 + 64 * 64 + 64
    *skips, dense = model(torch.randn(2, 3, 64, 96))
    assert dense.shape == (2, 64, 4, 6) and skips[0].shape == (2, 64, 4, 6)
    dense.sum().backward()
    assert model.prompts.prompts.grad[:2].abs().sum() > 0  # prompts of blocks 0 and 1 matter
    assert model.resblocks[0].attn.in_proj_weight.grad is None


def test_frozen_mode_stays_in_eval(tiny_clip_cfg, tiny_clip_checkpoint):
    model = build_tiny(tiny_clip_cfg, tiny_clip_checkpoint, 'frozen')
    model.train()
    assert not model.training and not any(m.training for m in model.modules())
    assert all(not p.requires_grad for p in model.parameters())
    spatial = build_tiny(tiny_clip_cfg, tiny_clip_checkpoint, 'spatial')
    assert spatial.train().training and not spatial.eval().training


def test_unknown_finetune_mode(tiny_clip_cfg, tiny_clip_checkpoint):
    with pytest.raises(ValueError, match="Unknown finetune mode 'partial'"):
        build_tiny(tiny_clip_cfg, tiny_clip_checkpoint, 'partial')
