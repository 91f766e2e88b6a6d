import mmseg_semivl  # noqa: F401

import torch
import torch.nn.functional as F
from mmseg.registry import MODELS

from mmseg_semivl.models.text import DenseCLIPZeroShot, build_text_embeddings, text_embedder


def build(cfg, checkpoint, **kwargs):
    return MODELS.build(dict(type='DenseCLIPZeroShot', model_name='tiny', pretrained=checkpoint,
                             class_definitions='cityscapes', model_cfg=cfg, img_size=64,
                             **kwargs))


@torch.no_grad()
def test_scores_are_max_over_concept_cosines(tiny_clip_cfg, tiny_clip_checkpoint):
    model = build(tiny_clip_cfg, tiny_clip_checkpoint)
    assert isinstance(model, DenseCLIPZeroShot) and model.num_classes == 19
    images = torch.randn(2, 3, 64, 96)
    scores = model(images)
    assert scores.shape == (2, 19, 4, 6)
    dense = model.clip(images)[-1]
    text = build_text_embeddings('tiny', tiny_clip_checkpoint, 'cityscapes',
                                 model_cfg=tiny_clip_cfg)
    cosines = torch.einsum('bdhw,kd->bkhw', dense, text.embeddings)
    assert cosines.shape[1] == 54
    # road owns concepts 0-2, sidewalk concept 3, building concepts 4-10.
    assert torch.allclose(scores[:, 0], cosines[:, :3].max(1).values, atol=1e-6)
    assert torch.allclose(scores[:, 1], cosines[:, 3], atol=1e-6)
    assert torch.allclose(scores[:, 2], cosines[:, 4:11].max(1).values, atol=1e-6)
    assert scores.abs().max() <= 1 + 1e-5

    labels = model.predict_labels(images)
    assert labels.shape == (2, 64, 96) and labels.dtype == torch.long
    expected = F.interpolate(scores, size=(64, 96), mode='bilinear', align_corners=False)
    assert torch.equal(labels, expected.argmax(1))
    assert model.predict_labels(images, out_size=(5, 7)).shape == (2, 5, 7)


def test_frozen_eval_no_text_tower_and_no_buffers_in_checkpoint(tiny_clip_cfg,
                                                                 tiny_clip_checkpoint,
                                                                 monkeypatch):
    build(tiny_clip_cfg, tiny_clip_checkpoint, aggregation='name')  # fills the cache
    calls = []
    monkeypatch.setattr(text_embedder, 'build_clip', lambda *a, **k: calls.append(a))
    model = build(tiny_clip_cfg, tiny_clip_checkpoint, aggregation='name')
    assert calls == []  # the text tower did not run: embeddings came from the cache
    assert model.text_embeddings.shape == (19, 64)
    assert not model.train().training and not model.clip.training
    assert all(not p.requires_grad for p in model.parameters())
    state = model.state_dict()
    assert 'text_embeddings' not in state and 'concept_to_class' not in state
    assert not any('token_embedding' in k for k in state)


# ---------------------------------------------------------------- another vision tower
EVA_TINY = dict(embed_dim=64, depth=2, num_heads=2)


@torch.no_grad()
def test_an_eva02_vision_tower_scores_the_text_of_its_own_model(tiny_clip_cfg):
    """EVA02-CLIP as the guidance CLIP (issue 21: VL-FD for EVA02 students): the dense
    embedding of OpenCLIPEVA(dense_embedding=True) against the text tower's concepts."""
    model = MODELS.build(dict(
        type='DenseCLIPZeroShot', model_name='EVA02-L-14', pretrained=None,
        class_definitions='cityscapes', model_cfg=tiny_clip_cfg,
        backbone=dict(type='OpenCLIPEVA', model_name='EVA02-L-14', timm_kwargs=EVA_TINY,
                      dense_embedding=True, out_indices=(1, ), finetune='frozen')))
    assert type(model.clip).__name__ == 'OpenCLIPEVA' and model.clip.embed_dim == 64
    assert all(not p.requires_grad for p in model.parameters())
    images = torch.randn(2, 3, 56, 42)  # EVA02 patch 14: a 4 x 3 grid
    scores, dense = model(images, return_embedding=True)
    assert scores.shape == (2, 19, 4, 3) and dense.shape == (2, 64, 4, 3)
    torch.testing.assert_close(dense, model.clip(images)[-1])
    # (A random text tower: the model's own embeddings, 54 Cityscapes concepts.)
    assert model.text_embeddings.shape == (54, 64)
    cosines = torch.einsum('bdhw,kd->bkhw', dense, model.text_embeddings)
    torch.testing.assert_close(scores[:, 2], cosines[:, 4:11].max(1).values)  # building
    torch.testing.assert_close(model(images), scores)


def test_a_vision_tower_without_a_dense_embedding_is_refused(tiny_clip_cfg):
    import pytest
    with pytest.raises(ValueError, match='dense_embedding=True'):
        MODELS.build(dict(
            type='DenseCLIPZeroShot', model_name='EVA02-L-14', pretrained=None,
            class_definitions='cityscapes', model_cfg=tiny_clip_cfg,
            backbone=dict(type='OpenCLIPEVA', model_name='EVA02-L-14', timm_kwargs=EVA_TINY,
                          out_indices=(1, ))))
