"""Open vocabulary: a trained model segments a new class list."""

from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F
import yaml
from mmengine.config import Config
from mmseg.apis import inference_model

from mmseg_semivl.apis import (init_semivl_model, parse_class_list, set_vocabulary,
                               text_embedding_settings)
from mmseg_semivl.models.text import build_text_embeddings


@pytest.fixture
def model(demo_cfg, tiny_semivl_checkpoint):
    return init_semivl_model(demo_cfg, tiny_semivl_checkpoint, device='cpu')


def test_parse_class_list():
    definitions = parse_class_list(' road, car,,person ')
    assert definitions.names == ['road', 'car', 'person']
    assert definitions.concepts == [['road'], ['car'], ['person']]
    with pytest.raises(ValueError, match='comma-separated'):
        parse_class_list(' , ')
    with pytest.raises(ValueError, match='duplicate'):
        parse_class_list('car,car')


def test_new_class_names_change_outputs(model, demo_cfg, tiny_clip_checkpoint, photos):
    names = set_vocabulary(model, parse_class_list('road,car,person'), aggregation='name')
    assert names == ['road', 'car', 'person']
    expected = build_text_embeddings(**text_embedding_settings(demo_cfg),
                                     class_definitions=dict(road=['x'], car=['y'], person=['z']),
                                     aggregation='name').embeddings
    torch.testing.assert_close(model.decode_head.text_embeddings, expected)
    assert (model.num_classes, model.out_channels, model.decode_head.out_channels) == (3, 3, 3)
    assert model.dataset_meta['classes'] == ('road', 'car', 'person')
    assert len(model.dataset_meta['palette']) == 3
    result = inference_model(model, str(photos['astronaut']))
    assert result.seg_logits.data.shape[0] == 3
    assert int(result.pred_sem_seg.data.max()) < 3


def test_class_definitions_with_concepts_use_mean_embeddings(model, demo_cfg, tmp_path):
    path = tmp_path / 'defs.yaml'
    path.write_text(
        yaml.safe_dump({'vehicle': ['car', 'truck'], 'sky': ['sky']}, sort_keys=False))
    set_vocabulary(model, str(path), aggregation='mean')
    concepts = build_text_embeddings(**text_embedding_settings(demo_cfg),
                                     class_definitions=str(path), aggregation='max').embeddings
    expected = torch.stack([F.normalize(concepts[0] + concepts[1], dim=0), concepts[2]])
    torch.testing.assert_close(model.decode_head.text_embeddings, expected)


def test_bad_vocabulary_requests(model):
    with pytest.raises(ValueError, match=r"Unknown class definitions 'vocc'.*'voc'"):
        set_vocabulary(model, 'vocc')
    with pytest.raises(ValueError, match='fixed class set'):
        set_vocabulary(SimpleNamespace(decode_head=object()), 'voc')
    with pytest.raises(ValueError, match='model.decode_head.text_embeddings'):
        text_embedding_settings(Config(dict(model=dict(decode_head=dict(num_classes=2)))))
