"""OpenCLIPEVA(dense_embedding=True): MaskCLIP's value path of the last EVA block, the final
norm and the image projection, for the language-guided decoder (issue 21)."""

import pytest
import torch
import torch.nn.functional as F

from mmseg_semivl.models.backbones.eva_clip import OpenCLIPEVA, head_state_dict

TINY = dict(embed_dim=32, depth=3, num_heads=2)


def tiny(**kwargs):
    torch.manual_seed(0)
    return OpenCLIPEVA(out_indices=(0, 1), timm_kwargs=TINY, **kwargs).eval()


def test_block_outputs_are_unchanged_and_the_dense_embedding_comes_last():
    dense, plain = tiny(dense_embedding=True), tiny()
    plain.load_state_dict({k: v for k, v in dense.state_dict().items()
                           if not k.startswith('head.')})
    x = torch.randn(2, 3, 40, 44)  # padded to the 14-px grid: 3 x 4 tokens
    outs, ref = dense(x), plain(x)
    assert len(outs) == 3 and dense.out_channels == (32, 32, 32)
    for a, b in zip(outs[:2], ref):
        torch.testing.assert_close(a, b)
    assert outs[2].shape == (2, 32, 3, 4)
    torch.testing.assert_close(outs[2].norm(dim=1), torch.ones(2, 3, 4))


def test_dense_embedding_is_the_value_path_of_the_last_block():
    """Each token alone through the last block (a one-token sequence attends to itself,
    and a lone token is a prefix token: no RoPE, which only rotates queries and keys)."""
    model = tiny(dense_embedding=True)
    trunk = model.trunk
    x = torch.randn(1, 3, 28, 42)
    with torch.no_grad():
        spatial, prefix = trunk.forward_intermediates(
            x, indices=[1], output_fmt='NLC', intermediates_only=True,
            return_prefix_tokens=True)[0]
        tokens = spatial.reshape(-1, 1, spatial.shape[-1])  # (h w, 1, C)
        out = trunk.blocks[-1](tokens)  # one token per sequence
        expected = F.normalize(model.head(trunk.norm(out))[:, 0], dim=-1)
        dense = model(x)[-1]
    h, w = dense.shape[-2:]
    torch.testing.assert_close(dense[0].permute(1, 2, 0).reshape(h * w, -1), expected,
                               atol=1e-5, rtol=1e-5)


def test_projection_loads_from_an_open_clip_state_dict(tmp_path):
    model = tiny(dense_embedding=True)
    state = {f'visual.trunk.{k}': v for k, v in model.trunk.state_dict().items()}
    state['visual.trunk.head.weight'] = torch.full((32, 32), 0.5)
    state['visual.trunk.head.bias'] = torch.zeros(32)
    path = tmp_path / 'eva.pt'
    torch.save(state, path)
    loaded = OpenCLIPEVA(out_indices=(0, 1), timm_kwargs=TINY, dense_embedding=True,
                         pretrained=str(path))
    assert torch.equal(loaded.head.weight, torch.full((32, 32), 0.5))
    assert set(head_state_dict(state)) == {'weight', 'bias'}
    del state['visual.trunk.head.weight'], state['visual.trunk.head.bias']
    torch.save(state, path)
    with pytest.raises(ValueError, match='no image projection'):
        OpenCLIPEVA(out_indices=(0, 1), timm_kwargs=TINY, dense_embedding=True,
                    pretrained=str(path))
