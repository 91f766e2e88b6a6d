import mmseg_semivl  # noqa: F401

import copy

import open_clip
import pytest
import torch

from mmseg_semivl.models.backbones import (CLIPVisionTransformer, build_clip, list_vit_models,
                                           weights_fingerprint)
from mmseg_semivl.models.backbones.open_clip_builder import resolve_model_cfg


def test_unknown_model_name_lists_valid_ones():
    with pytest.raises(ValueError, match=r"Unknown open_clip model 'ViT-X-99'.*ViT-B-16.*ViT-L-14"):
        CLIPVisionTransformer('ViT-X-99')


def test_non_vit_towers_are_rejected():
    assert 'ViT-B-16' in list_vit_models() and 'RN50' not in list_vit_models()
    with pytest.raises(ValueError, match="'RN50' has no plain ViT vision tower"):
        resolve_model_cfg('RN50')


def test_missing_checkpoint_names_the_file(tmp_path, tiny_clip_cfg):
    missing = str(tmp_path / 'nowhere' / 'clip.pt')
    with pytest.raises(FileNotFoundError, match='nowhere/clip.pt'):
        CLIPVisionTransformer('tiny', pretrained=missing, model_cfg=tiny_clip_cfg)


def test_unknown_tag_lists_known_tags():
    with pytest.raises(ValueError, match=r"'laion9000'.*known tags: \[.*'openai'"):
        CLIPVisionTransformer('ViT-B-16', pretrained='laion9000')


def test_corrupt_checkpoint_names_the_file(tmp_path, tiny_clip_cfg):
    corrupt = tmp_path / 'broken.pt'
    corrupt.write_bytes(b'this is not a checkpoint')
    with pytest.raises(RuntimeError, match="Could not read CLIP checkpoint '.*broken.pt'"):
        CLIPVisionTransformer('tiny', pretrained=str(corrupt), model_cfg=tiny_clip_cfg)


def test_wrong_architecture_names_file_and_keys(tmp_path, tiny_clip_cfg, tiny_clip_checkpoint):
    other = copy.deepcopy(tiny_clip_cfg)
    other['vision_cfg'].update(width=32, layers=2)
    with pytest.raises(ValueError) as info:
        CLIPVisionTransformer('tiny', pretrained=tiny_clip_checkpoint, model_cfg=other,
                              skip_blocks=(0, ))
    message = str(info.value)
    assert 'tiny_clip.pt' in message and 'does not match the requested architecture' in message
    assert 'unexpected keys [visual.transformer.resblocks.2.' in message
    assert 'visual.conv1.weight: checkpoint (64, 3, 16, 16) vs model (32, 3, 16, 16)' in message


def test_checkpoint_at_other_resolution_is_resized(tmp_path, tiny_clip_cfg, tiny_open_clip):
    # A checkpoint whose pos-embed has a 4x4 grid loads into a 96 px (6x6) architecture.
    cfg = copy.deepcopy(tiny_clip_cfg)
    cfg['vision_cfg']['image_size'] = 96
    path = tmp_path / 'clip.pt'
    torch.save(tiny_open_clip.state_dict(), path)
    model = build_clip('tiny', str(path), cfg)
    assert model.visual.positional_embedding.shape == (37, 64)
    assert torch.equal(model.visual.positional_embedding[0],
                       tiny_open_clip.visual.positional_embedding[0])


def test_quick_gelu_follows_the_weights():
    assert resolve_model_cfg('ViT-B-16', pretrained='openai')['quick_gelu'] is True
    assert 'quick_gelu' not in resolve_model_cfg('ViT-B-16', pretrained='laion2b_s34b_b88k')
    assert resolve_model_cfg('ViT-B-16-quickgelu')['quick_gelu'] is True
    forced = resolve_model_cfg('ViT-B-16', pretrained='openai', quick_gelu=False)
    assert forced['quick_gelu'] is False


def test_built_activation_and_norm_match_open_clip(tiny_clip_cfg, tiny_clip_checkpoint):
    cfg = dict(copy.deepcopy(tiny_clip_cfg), quick_gelu=True)
    backbone = CLIPVisionTransformer('tiny', tiny_clip_checkpoint, model_cfg=cfg, img_size=64,
                                     skip_blocks=(0, ))
    assert isinstance(backbone.resblocks[0].mlp.gelu, open_clip.transformer.QuickGELU)
    assert backbone.ln_post.eps == 1e-5


def test_weights_fingerprint(tmp_path, tiny_clip_checkpoint):
    assert weights_fingerprint('ViT-B-16', None) is None
    assert weights_fingerprint('ViT-B-16', 'openai') == 'tag:openai'
    first = weights_fingerprint('tiny', tiny_clip_checkpoint)
    copied = tmp_path / 'copy.pt'
    copied.write_bytes(open(tiny_clip_checkpoint, 'rb').read())
    assert first.startswith('sha256:') and weights_fingerprint('tiny', str(copied)) == first
    copied.write_bytes(b'x' + copied.read_bytes())
    assert weights_fingerprint('tiny', str(copied)) != first
