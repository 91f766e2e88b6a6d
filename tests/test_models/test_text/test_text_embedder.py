import mmseg_semivl  # noqa: F401

import os

import open_clip
import pytest
import torch
import torch.nn.functional as F

from mmseg_semivl.models.text import build_text_embeddings, resolve_templates, text_embedder

CLASSES = {'sky': ['sky', 'clouds'], 'car': ['car'], 'tree': ['tree', 'bush', 'palm']}


@pytest.fixture
def count_text_tower_builds(monkeypatch):
    calls = []
    build_clip = text_embedder.build_clip

    def counting_build_clip(*args, **kwargs):
        calls.append(args)
        return build_clip(*args, **kwargs)

    monkeypatch.setattr(text_embedder, 'build_clip', counting_build_clip)
    return calls


def reference(clip, captions):
    tokenizer = open_clip.get_tokenizer('ViT-B-16')
    with torch.no_grad():
        return clip.encode_text(tokenizer(captions), normalize=True)


def build(cfg, checkpoint, cache_dir, **kwargs):
    return build_text_embeddings('tiny', checkpoint, CLASSES, model_cfg=cfg, cache_dir=cache_dir,
                                 **kwargs)


def test_max_embeddings_match_open_clip(tiny_clip_cfg, tiny_clip_checkpoint, tiny_open_clip,
                                        tmp_path):
    out = build(tiny_clip_cfg, tiny_clip_checkpoint, tmp_path)
    concepts = ['sky', 'clouds', 'car', 'tree', 'bush', 'palm']
    expected = reference(tiny_open_clip, [f'a photo of a {c}.' for c in concepts])
    assert out.embeddings.shape == (6, 64) and out.embeddings.dtype == torch.float32
    assert (out.embeddings - expected).abs().max() < 1e-5
    assert out.concept_to_class.tolist() == [0, 0, 1, 2, 2, 2]
    assert out.class_names == ['sky', 'car', 'tree'] and out.texts == concepts


def test_name_mean_and_template_ensemble(tiny_clip_cfg, tiny_clip_checkpoint, tiny_open_clip,
                                         tmp_path):
    names = build(tiny_clip_cfg, tiny_clip_checkpoint, tmp_path, aggregation='name')
    expected = reference(tiny_open_clip, ['a photo of a sky.', 'a photo of a car.',
                                          'a photo of a tree.'])
    assert (names.embeddings - expected).abs().max() < 1e-5
    assert names.concept_to_class.tolist() == [0, 1, 2]

    concepts = build(tiny_clip_cfg, tiny_clip_checkpoint, tmp_path).embeddings
    mean = build(tiny_clip_cfg, tiny_clip_checkpoint, tmp_path, aggregation='mean')
    expected = F.normalize(torch.stack([concepts[:2].mean(0), concepts[2], concepts[3:].mean(0)]),
                           dim=1)
    assert torch.allclose(mean.embeddings, expected, atol=1e-6)
    assert mean.texts == ['sky', 'car', 'tree']

    templates = ('a photo of a {}.', 'a drawing of the {}')
    ensemble = build(tiny_clip_cfg, tiny_clip_checkpoint, tmp_path, aggregation='name',
                     templates=templates)
    per_template = [reference(tiny_open_clip, [t.format(n) for n in CLASSES]) for t in templates]
    expected = F.normalize(per_template[0] + per_template[1], dim=1)
    assert (ensemble.embeddings - expected).abs().max() < 1e-5
    assert len(resolve_templates('openai_imagenet')) == 80


def test_cache_hit_does_not_run_text_tower(tiny_clip_cfg, tiny_clip_checkpoint, tmp_path,
                                           count_text_tower_builds):
    first = build(tiny_clip_cfg, tiny_clip_checkpoint, tmp_path)
    assert len(count_text_tower_builds) == 1
    second = build(tiny_clip_cfg, tiny_clip_checkpoint, tmp_path)
    assert len(count_text_tower_builds) == 1 and torch.equal(first.embeddings, second.embeddings)
    # 'max' and 'mean' share the concept texts, hence the cache entry.
    build(tiny_clip_cfg, tiny_clip_checkpoint, tmp_path, aggregation='mean')
    assert len(count_text_tower_builds) == 1
    # Anything in the key changes the entry: templates, texts.
    build(tiny_clip_cfg, tiny_clip_checkpoint, tmp_path, templates='a {} in the street')
    build(tiny_clip_cfg, tiny_clip_checkpoint, tmp_path, aggregation='name')
    assert len(count_text_tower_builds) == 3
    entries = os.listdir(tmp_path / 'text_embeddings')
    assert len(entries) == 3 and all(e.endswith('.pt') for e in entries)  # no temp files left


def test_cache_dir_from_environment(tiny_clip_cfg, tiny_clip_checkpoint, text_embedding_cache_dir,
                                    count_text_tower_builds):
    build_text_embeddings('tiny', tiny_clip_checkpoint, {'a': ['x y z']}, model_cfg=tiny_clip_cfg)
    assert os.listdir(os.path.join(text_embedding_cache_dir, 'text_embeddings'))


def test_damaged_entry_is_recomputed(tiny_clip_cfg, tiny_clip_checkpoint, tmp_path,
                                     count_text_tower_builds):
    first = build(tiny_clip_cfg, tiny_clip_checkpoint, tmp_path)
    (entry, ) = (tmp_path / 'text_embeddings').iterdir()
    entry.write_bytes(b'garbage')
    with pytest.warns(UserWarning, match='unreadable text-embedding cache entry'):
        again = build(tiny_clip_cfg, tiny_clip_checkpoint, tmp_path)
    assert len(count_text_tower_builds) == 2 and torch.equal(first.embeddings, again.embeddings)


def test_random_weights_are_not_cached(tiny_clip_cfg, tmp_path):
    out = build(tiny_clip_cfg, None, tmp_path, aggregation='name')
    assert out.embeddings.shape == (3, 64)
    assert not (tmp_path / 'text_embeddings').exists()


def test_bad_arguments(tiny_clip_cfg, tiny_clip_checkpoint, tmp_path):
    with pytest.raises(ValueError, match="Unknown aggregation 'median'"):
        build(tiny_clip_cfg, tiny_clip_checkpoint, tmp_path, aggregation='median')
    with pytest.raises(ValueError, match='must contain "{}" exactly once'):
        build(tiny_clip_cfg, tiny_clip_checkpoint, tmp_path, templates=('a photo',))
    with pytest.raises(ValueError, match="Unknown class definitions 'nope'"):
        build_text_embeddings('tiny', tiny_clip_checkpoint, 'nope', model_cfg=tiny_clip_cfg)


def test_eva02_clip_text_tower_is_built_by_open_clip(monkeypatch, tiny_clip_cfg):
    """EVA02-CLIP has a timm image tower (not a plain ViT): its text side (the
    language-guided decoder of the UDA EVA02 configs) is built by open_clip itself."""
    from mmseg_semivl.models.text import text_embedder
    assert text_embedder.has_timm_vision_tower('EVA02-L-14')
    assert not text_embedder.has_timm_vision_tower('ViT-B-16')
    assert not text_embedder.has_timm_vision_tower('EVA02-L-14', model_cfg=tiny_clip_cfg)
    built = []
    real_clip = open_clip.CLIP

    def create_model(name, pretrained=None):
        built.append((name, pretrained))
        torch.manual_seed(0)
        return real_clip(**tiny_clip_cfg).eval()

    monkeypatch.setattr(open_clip, 'create_model', create_model)
    text = text_embedder.build_text_embeddings('EVA02-L-14', None, 'cityscapes',
                                               aggregation='mean')
    assert built == [('EVA02-L-14', None)]
    assert tuple(text.embeddings.shape) == (19, 64)
    torch.testing.assert_close(text.embeddings.norm(dim=1), torch.ones(19))
