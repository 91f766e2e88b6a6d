"""Shipped tiny CLIP: the compact format round-trips and loads through build_clip."""
import json

import pytest
import torch

from mmseg_semivl.models.backbones import TINY_SCENES_CLIP_CFG, build_clip
from mmseg_semivl.tiny_clip.pretrain import build_tiny_clip
from mmseg_semivl.tiny_clip.weights import (TOKEN_KEY, init_token_embedding, load_compact,
                                            save_compact, shipped_checkpoint, shipped_meta)


def test_compact_round_trip_keeps_trained_rows_and_recreates_the_rest(tmp_path):
    model = build_tiny_clip(TINY_SCENES_CLIP_CFG, seed=3)
    state = model.state_dict()
    with torch.no_grad():  # "train" three token rows and one matrix
        state[TOKEN_KEY][[5, 17, 400]] += 1.0
        state['text_projection'] += 0.5
    path = tmp_path / 'compact.pt'
    save_compact(state, str(path), TINY_SCENES_CLIP_CFG, token_seed=3, meta=dict(note='x'))
    loaded = load_compact(str(path))
    assert loaded['meta'] == dict(note='x') and loaded['model_cfg'] == json.loads(
        json.dumps(TINY_SCENES_CLIP_CFG))
    assert set(loaded['state_dict']) == set(state)
    for key, value in state.items():
        # fp16 storage: within half precision of every value.
        assert torch.allclose(loaded['state_dict'][key], value.float(), rtol=1e-3, atol=1e-4), key
    tokens = loaded['state_dict'][TOKEN_KEY]
    init = init_token_embedding(*tokens.shape, seed=3)
    untouched = torch.ones(tokens.shape[0], dtype=torch.bool)
    untouched[[5, 17, 400]] = False
    assert torch.equal(tokens[untouched], init[untouched])  # exactly, not rounded
    # Only the three trained rows are stored: the file is far below the full 21 MB.
    assert path.stat().st_size < 2.5e6


def test_shipped_weights_load_through_build_clip(tmp_path):
    path = shipped_checkpoint('mmseg_semivl:tiny-scenes', cache_dir=str(tmp_path))
    assert path.startswith(str(tmp_path)) and path.endswith('.pt')
    assert shipped_checkpoint('mmseg_semivl:tiny-scenes', cache_dir=str(tmp_path)) == path
    clip = build_clip('semivl-tiny-scenes', path, TINY_SCENES_CLIP_CFG)
    meta = shipped_meta()
    assert clip.logit_scale.exp().item() == pytest.approx(meta['metrics']['logit_scale'],
                                                          abs=1e-3)
    assert meta['recipe']['steps'] == len(meta['history']) * 100


@pytest.mark.parametrize('name', ['tiny-scenes', 'tiny-scenes-long'])
def test_shipped_weights_reproduce_their_recorded_zero_shot_numbers(tmp_path, name):
    # Deterministic held-out scenes + the real loading path: any change to the renderer,
    # the tokenizer, the compact format or the dense path shows up here.
    from mmseg_semivl.tiny_clip.evaluate import dense_zero_shot, zero_shot_classification
    path = shipped_checkpoint(f'mmseg_semivl:{name}', cache_dir=str(tmp_path))
    recorded = shipped_meta(name)['metrics']
    numbers = zero_shot_classification(path, TINY_SCENES_CLIP_CFG)
    assert numbers['zero_shot_top1'] == pytest.approx(recorded['zero_shot_top1'], abs=1e-4)
    dense = dense_zero_shot(path, TINY_SCENES_CLIP_CFG, num_scenes=100)
    for key in ('all_background_miou', 'maskclip_miou_concepts', 'maskclip_miou_names',
                'confident_at_100'):
        assert dense[key] == pytest.approx(recorded[key], abs=0.05), key


def test_unknown_or_missing_shipped_name_is_named():
    with pytest.raises(ValueError, match="mmseg_semivl:nope"):
        shipped_checkpoint('mmseg_semivl:nope')
