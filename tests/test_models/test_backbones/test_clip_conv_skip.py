import pytest
import torch
from mmseg.registry import MODELS

from mmseg_semivl.models.backbones import CLIPVisionTransformer, CLIPWithConvSkip
from mmseg_semivl.models.backbones.clip_conv_skip import (CLIP_MEAN, CLIP_STD, IMAGENET_MEAN,
                                                          IMAGENET_STD, RESNET101_V1C_STEM)
from mmseg_semivl.models.backbones.finetune import is_trainable

# The reference's ResNet-101 V1c stem + first stage, narrowed: deep stem 3 -> 8 -> 8 -> 16,
# three bottlenecks of width 8 -> 32 output channels at 1/4. BN: one CPU process.
TINY_STEM = dict(RESNET101_V1C_STEM, stem_channels=16, base_channels=8,
                 norm_cfg=dict(type='BN', requires_grad=True), init_cfg=None)
CONV_CHANNELS = 32


def build(tiny_clip_cfg, tiny_clip_checkpoint, **kwargs):
    torch.manual_seed(0)
    kwargs.setdefault('finetune', 'spatial')
    return MODELS.build(dict(
        type='CLIPWithConvSkip', conv_stem=TINY_STEM, model_name='tiny',
        pretrained=tiny_clip_checkpoint, model_cfg=tiny_clip_cfg, img_size=64,
        skip_blocks=(1, ), **kwargs))


def test_stem_parameter_count(tiny_clip_cfg, tiny_clip_checkpoint):
    backbone = build(tiny_clip_cfg, tiny_clip_checkpoint)
    # Deep stem: 3x3 convs 3->8, 8->8, 8->16 + their BNs: 216 + 576 + 1152 + 2 * (8 + 8 + 16).
    stem = 216 + 576 + 1152 + 64
    # Bottleneck 1 (16 in): 1x1 16->8, 3x3 8->8, 1x1 8->32, 1x1 downsample 16->32, 4 BNs.
    first = 128 + 576 + 256 + 512 + 2 * (8 + 8 + 32 + 32)
    # Bottlenecks 2 and 3 (32 in): 1x1 32->8, 3x3 8->8, 1x1 8->32, 3 BNs.
    other = 256 + 576 + 256 + 2 * (8 + 8 + 32)
    assert sum(p.numel() for p in backbone.conv_stem.parameters()) == stem + first + 2 * other
    assert stem + first + 2 * other == 6008


def test_output_shapes_and_clip_pass_through(tiny_clip_cfg, tiny_clip_checkpoint):
    backbone = build(tiny_clip_cfg, tiny_clip_checkpoint).eval()
    plain = CLIPVisionTransformer(model_name='tiny', pretrained=tiny_clip_checkpoint,
                                  model_cfg=tiny_clip_cfg, img_size=64, skip_blocks=(1, )).eval()
    images = torch.randn(2, 3, 96, 64)
    with torch.no_grad():
        conv, skip, dense = backbone(images)
        expected_skip, expected_dense = plain(images)
    assert conv.shape == (2, CONV_CHANNELS, 24, 16)  # 1/4: stride-2 stem conv + max-pool
    assert skip.shape == (2, 64, 6, 4) and dense.shape == (2, 64, 6, 4)
    # The CLIP part is the plain backbone with the same arguments and parameter names.
    assert set(plain.state_dict()) <= set(backbone.state_dict())
    torch.testing.assert_close(skip, expected_skip)
    torch.testing.assert_close(dense, expected_dense)
    assert (backbone.embed_dim, backbone.width, backbone.patch_size) == (64, 64, 16)
    torch.testing.assert_close(backbone.encode_image(images), plain.encode_image(images))


def test_stem_sees_imagenet_normalised_images(tiny_clip_cfg, tiny_clip_checkpoint):
    backbone = build(tiny_clip_cfg, tiny_clip_checkpoint).eval()
    pixels = torch.rand(1, 3, 64, 64) * 255

    def normalise(mean, std):
        return (pixels - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)

    with torch.no_grad():
        conv = backbone(normalise(CLIP_MEAN, CLIP_STD))[0]
        expected = backbone.conv_stem(normalise(IMAGENET_MEAN, IMAGENET_STD))[-1]
    torch.testing.assert_close(conv, expected, rtol=1e-4, atol=1e-4)
    # Without re-normalisation the stem gets the CLIP input itself.
    raw = build(tiny_clip_cfg, tiny_clip_checkpoint, stem_mean=None, stem_std=None).eval()
    clip_input = normalise(CLIP_MEAN, CLIP_STD)
    with torch.no_grad():
        torch.testing.assert_close(raw(clip_input)[0], raw.conv_stem(clip_input)[-1])


@pytest.mark.parametrize('finetune', ['spatial', 'frozen'])
def test_stem_trains_fully_clip_follows_finetune(tiny_clip_cfg, tiny_clip_checkpoint, finetune):
    backbone = build(tiny_clip_cfg, tiny_clip_checkpoint, finetune=finetune).train()
    assert backbone.finetune == finetune
    assert all(p.requires_grad for p in backbone.conv_stem.parameters())
    clip_params = {n: p for n, p in backbone.named_parameters() if not n.startswith('conv_stem.')}
    assert len(clip_params) == len(list(backbone.parameters())) - len(
        list(backbone.conv_stem.parameters()))
    for name, param in clip_params.items():
        assert param.requires_grad == is_trainable(name, finetune, finetune == 'spatial'), name
    assert backbone.resblocks[0].training == (finetune != 'frozen')
    # Even beside a frozen (always eval) CLIP: BN statistics adapt, as in the reference.
    assert backbone.conv_stem.training


def test_language_guided_head_forward_backward(tiny_clip_cfg, tiny_clip_checkpoint):
    backbone = build(tiny_clip_cfg, tiny_clip_checkpoint).train()
    head = MODELS.build(dict(
        type='LanguageGuidedHead', num_classes=3, in_channels=(CONV_CHANNELS, 64, 64),
        text_channels=64, channels=16, text_proj_channels=16, num_heads=2,
        feedforward_channels=32, skip_channels=(8, 8), up_channels=(16, 8),
        gn_channels_per_group=4))
    head.set_text_embeddings(torch.randn(3, 64))
    # 72 px high: the ViT sees a 4 x 4 grid (up-sampled to 16 x 16), the conv skip is
    # 18 x 16 and is resized to the second up-block's grid (as 801 vs. 816 crops).
    feats = backbone(torch.randn(2, 3, 72, 64))
    assert feats[0].shape[2:] == (18, 16)
    logits = head(feats)
    assert logits.shape == (2, 3, 16, 16)
    logits.square().mean().backward()
    stem_grads = [p.grad for p in backbone.conv_stem.parameters()]
    assert all(g is not None for g in stem_grads) and sum(g.abs().sum() for g in stem_grads) > 0
    attn = backbone.resblocks[0].attn.in_proj_weight
    assert attn.grad is not None and attn.grad.abs().sum() > 0
    assert backbone.resblocks[0].mlp.c_fc.weight.grad is None  # frozen in 'spatial'
    assert head.skip_projs[0].conv.weight.shape == (8, CONV_CHANNELS, 3, 3)


def test_bad_arguments(tiny_clip_cfg, tiny_clip_checkpoint):
    with pytest.raises(ValueError, match='stem_std'):
        CLIPWithConvSkip(conv_stem=TINY_STEM, stem_std=None)
    with pytest.raises(ValueError, match='3 values'):
        build(tiny_clip_cfg, tiny_clip_checkpoint, stem_mean=(1.0, 2.0))
