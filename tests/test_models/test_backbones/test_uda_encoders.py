"""The EVA02-CLIP UDA encoder (OpenCLIPEVA): open_clip -> timm names, counts, weight
loading, parity with timm, frozen mode and errors (the UDA heads:
tests/test_models/test_decode_heads/test_{daformer,deeplabv2}_head.py)."""

import pytest
import torch

from mmseg_semivl.models.backbones.eva_clip import EVA_CLIP_MODELS, OpenCLIPEVA, trunk_state_dict

TINY = dict(embed_dim=32, depth=4, num_heads=2)


def test_open_clip_names_match_the_timm_trunks():
    import open_clip
    for name, (trunk, _) in EVA_CLIP_MODELS.items():
        assert name in open_clip.list_models(), name
        assert open_clip.get_model_config(name)['vision_cfg']['timm_model_name'] == trunk


def test_eva02_l14_counts_match_the_published_image_tower():
    import open_clip
    assert 'EVA02-L-14' in open_clip.list_models()
    assert 'merged2b_s4b_b131k' in open_clip.list_pretrained_tags_by_model('EVA02-L-14')
    with torch.device('meta'):
        ours = OpenCLIPEVA('EVA02-L-14')
    trunk = sum(p.numel() for p in ours.parameters())
    assert len(ours.trunk.blocks) == 24 and ours.width == 1024 and ours.patch_size == 14
    # open_clip keeps a 1024 -> 768 projection head on the trunk; the published 304.1 M
    # image parameters include it, this backbone drops it (dense features need no head).
    head = 1024 * 768 + 768
    assert round((trunk + head) / 1e6, 1) == 304.1
    assert trunk == 303_317_952


def test_eva_loads_open_clip_layout_and_equals_timms_forward(tmp_path):
    import timm
    torch.manual_seed(0)
    reference = timm.create_model('eva02_large_patch14_clip_224', pretrained=False,
                                  num_classes=768, dynamic_img_size=True, dynamic_img_pad=True,
                                  **TINY, ).eval()
    with torch.no_grad():
        for p in reference.parameters():
            p.add_(0.01 * torch.randn_like(p))  # not the default init anywhere
    path = tmp_path / 'open_clip_eva.pt'
    state = {f'visual.trunk.{k}': v for k, v in reference.state_dict().items()}
    state['logit_scale'] = torch.tensor(4.6)  # other open_clip keys are ignored
    torch.save(state, path)
    ours = OpenCLIPEVA('EVA02-L-14', pretrained=str(path), out_indices=(0, 1, 3),
                       timm_kwargs=TINY).eval()
    assert set(trunk_state_dict(state)) == set(ours.trunk.state_dict())
    x = torch.randn(2, 3, 64, 80)  # not multiples of 14: padded to 70 x 84
    with torch.no_grad():
        feats = ours(x)
        expected = reference.forward_intermediates(x, indices=[0, 1, 3], output_fmt='NCHW',
                                                   intermediates_only=True)
    assert [tuple(f.shape) for f in feats] == [(2, 32, 5, 6)] * 3
    assert ours.pads_to_patch_grid  # SetupCheckHook accepts such crops
    for a, b in zip(feats, expected):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=0)


def test_eva_frozen_mode_and_bad_arguments():
    frozen = OpenCLIPEVA(finetune='frozen', timm_kwargs=TINY, out_indices=(3, ))
    assert not any(p.requires_grad for p in frozen.parameters())
    frozen.train()
    assert not frozen.trunk.training
    with pytest.raises(ValueError, match="out_indices \\[7\\] outside the 4 blocks"):
        OpenCLIPEVA(timm_kwargs=TINY, out_indices=(7, ))
    with pytest.raises(ValueError, match="unknown model_name 'EVA-X'"):
        OpenCLIPEVA('EVA-X')
    with pytest.raises(ValueError, match="neither a file nor an open_clip tag"):
        OpenCLIPEVA(pretrained='no-such-tag', timm_kwargs=TINY, out_indices=(3, ))


def test_eva_loads_an_open_clip_tag_through_open_clip(monkeypatch):
    """A tag goes through open_clip.create_model(model_name, pretrained=tag) and its
    'visual.trunk.*' weights (no download here: open_clip's factory is stood in for)."""
    import open_clip
    import timm
    torch.manual_seed(1)
    trunk = timm.create_model('eva02_large_patch14_clip_224', pretrained=False, num_classes=768,
                              **TINY)
    calls = []

    class FakeCLIP(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.visual = torch.nn.Module()
            self.visual.trunk = trunk

    def create_model(name, pretrained=None, **kwargs):
        calls.append((name, pretrained))
        return FakeCLIP()

    monkeypatch.setattr(open_clip, 'create_model', create_model)
    ours = OpenCLIPEVA('EVA02-L-14', pretrained='merged2b_s4b_b131k', timm_kwargs=TINY,
                       out_indices=(3, ))
    assert calls == [('EVA02-L-14', 'merged2b_s4b_b131k')]
    for key, value in ours.trunk.state_dict().items():
        assert torch.equal(value, trunk.state_dict()[key]), key
