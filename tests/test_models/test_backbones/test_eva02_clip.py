"""EVA02CLIPBackbone: the open_clip name maps to timm's trunk; a tiny random tower pads
inputs to the patch grid and returns the chosen blocks as maps."""
import mmseg_semivl  # noqa: F401

import open_clip
import pytest
import torch
from mmseg.registry import MODELS

from mmseg_semivl.models.backbones.eva02_clip import TIMM_TRUNKS

TINY = dict(img_size=64, patch_size=14, embed_dim=32, depth=4, num_heads=2,
            mlp_ratio=4 * 2 / 3, swiglu_mlp=True, scale_mlp=True, use_rot_pos_emb=True,
            ref_feat_shape=(4, 4))


def test_open_clip_names_match_the_timm_trunks():
    assert 'EVA02-L-14' in open_clip.list_models()
    for name, trunk in TIMM_TRUNKS.items():
        assert open_clip.get_model_config(name)['vision_cfg']['timm_model_name'] == trunk


@pytest.mark.parametrize('hw,grid', [((64, 64), (5, 5)), ((56, 84), (4, 6))])
def test_tiny_tower_maps(hw, grid):
    backbone = MODELS.build(dict(type='EVA02CLIPBackbone', pretrained=None,
                                 out_indices=(1, 3), timm_kwargs=TINY))
    outs = backbone(torch.randn(2, 3, *hw))
    assert [tuple(o.shape) for o in outs] == [(2, 32, *grid)] * 2
    assert backbone.embed_dim == 32


def test_blocks_after_the_last_output_are_pruned_and_errors():
    backbone = MODELS.build(dict(type='EVA02CLIPBackbone', pretrained=None,
                                 out_indices=(0, 1), timm_kwargs=TINY))
    assert len(backbone.trunk.blocks) == 2
    with pytest.raises(ValueError, match=r'out_indices must lie in \[0, 4\)'):
        MODELS.build(dict(type='EVA02CLIPBackbone', pretrained=None, out_indices=(4, ),
                          timm_kwargs=TINY))
    with pytest.raises(ValueError, match='set pretrained=None'):
        MODELS.build(dict(type='EVA02CLIPBackbone', timm_kwargs=TINY))
    with pytest.raises(ValueError, match='unknown model'):
        MODELS.build(dict(type='EVA02CLIPBackbone', model_name='EVA01-g-14', pretrained=None))
