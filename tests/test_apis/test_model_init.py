"""Trained SemiVL checkpoints through MMSeg's inference APIs and init_semivl_model."""

import copy

import pytest
import torch
from mmengine.config import Config
from mmseg.apis import MMSegInferencer, inference_model, init_model

from mmseg_semivl.apis import (configure_test_cfg, inference_config, init_semivl_model,
                               sync_num_classes)

from tiny_semivl import VOC_SIZE

NUM_VOC_CLASSES = 21


def test_mmseg_init_model_and_inference_model(demo_cfg, tiny_semivl_checkpoint, photos):
    model = init_model(copy.deepcopy(demo_cfg), tiny_semivl_checkpoint, device='cpu')
    assert model.dataset_meta['classes'][:2] == ('background', 'aeroplane')
    result = inference_model(model, str(photos['voc']))
    assert result.pred_sem_seg.shape == VOC_SIZE
    assert result.seg_logits.data.shape == (NUM_VOC_CLASSES, *VOC_SIZE)
    assert int(result.pred_sem_seg.data.max()) < NUM_VOC_CLASSES

    inferencer = MMSegInferencer(model=copy.deepcopy(demo_cfg), weights=tiny_semivl_checkpoint,
                                 device='cpu')
    sample = inferencer(str(photos['voc']), return_datasamples=True)
    torch.testing.assert_close(sample.seg_logits.data, result.seg_logits.data)


def test_init_semivl_model_needs_no_clip_weights_and_matches_init_model(
        demo_cfg, tiny_semivl_checkpoint, photos):
    light = inference_config(demo_cfg, tiny_semivl_checkpoint).model
    assert 'guidance' not in light and light.backbone.pretrained is None
    assert light.decode_head.text_embeddings is None
    assert light.decode_head.num_classes == NUM_VOC_CLASSES  # read from the checkpoint

    ours = init_semivl_model(demo_cfg, tiny_semivl_checkpoint, device='cpu')
    assert ours.guidance is None and not ours.training
    assert ours.cfg.model.guidance.pretrained == demo_cfg.model.guidance.pretrained  # full cfg
    reference = init_model(copy.deepcopy(demo_cfg), tiny_semivl_checkpoint, device='cpu')
    expected = inference_model(reference, str(photos['voc'])).seg_logits.data
    torch.testing.assert_close(inference_model(ours, str(photos['voc'])).seg_logits.data, expected)


def test_inference_config_pins_the_activation_of_tagged_weights():
    cfg = Config(dict(model=dict(
        type='SemiSupervisedSegmentor',
        backbone=dict(type='CLIPVisionTransformer', model_name='ViT-B-16', pretrained='openai'),
        decode_head=dict(type='LanguageGuidedHead', num_classes=2))))
    # OpenAI's weights were trained with QuickGELU; nothing in a state dict says so.
    backbone = inference_config(cfg, 'unused.pth').model.backbone
    assert backbone.pretrained is None and backbone.quick_gelu is True
    assert inference_config(cfg).model.backbone.pretrained == 'openai'  # no checkpoint: as is


@pytest.mark.parametrize('flat', [False, True], ids=['student_keys', 'flat_keys'])
def test_checkpoint_with_another_vocabulary_sets_segmentor_classes(demo_cfg,
                                                                   tiny_semivl_checkpoint,
                                                                   tmp_path, photos, flat):
    ckpt = torch.load(tiny_semivl_checkpoint, map_location='cpu')
    if flat:  # the layout of checkpoints written before the teacher-student core
        ckpt['state_dict'] = {k.replace('student.', '', 1): v
                              for k, v in ckpt['state_dict'].items()}
    key = 'decode_head.text_embeddings' if flat else 'student.decode_head.text_embeddings'
    ckpt['state_dict'][key] = ckpt['state_dict'][key][:3].clone()
    path = str(tmp_path / 'three_classes.pth')
    torch.save(ckpt, path)
    model = init_semivl_model(demo_cfg, path, device='cpu')
    assert (model.decode_head.num_classes, model.num_classes, model.out_channels) == (3, 3, 3)
    configure_test_cfg(model, 'slide', crop_size=64, stride=48)
    result = inference_model(model, str(photos['astronaut']))
    assert result.seg_logits.data.shape[0] == 3


def test_segmentor_class_count_follows_the_head(demo_cfg, tiny_semivl_checkpoint):
    model = init_semivl_model(demo_cfg, tiny_semivl_checkpoint, device='cpu')
    model.decode_head.set_text_embeddings(torch.randn(5, 64))
    # SemiSupervisedSegmentor reads both from its head: no stale copy after a change.
    assert (model.num_classes, model.out_channels) == (5, 5)


def test_sync_num_classes_for_a_plain_encoder_decoder(tiny_semivl_checkpoint):
    from mmengine.model import BaseModule

    class Head(BaseModule):
        num_classes = out_channels = 5

    model = torch.nn.Module()
    model.decode_head, model.num_classes, model.out_channels = Head(), 21, 21
    sync_num_classes(model)  # MMSeg's EncoderDecoder keeps build-time copies
    assert (model.num_classes, model.out_channels) == (5, 5)
