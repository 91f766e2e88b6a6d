"""Zero-shot dense CLIP (MaskCLIP) behind MMSeg's segmentor interface."""

import pytest
import torch
from mmengine.dataset import Compose
from mmseg.registry import MODELS, TRANSFORMS

from mmseg_semivl.apis import ZeroShotSegmentor, build_zero_shot_model, configure_test_cfg

CLASSES = {'person': ['person', 'astronaut'], 'sky': ['sky'], 'flag': ['flag']}


@pytest.fixture(scope='module')
def zero_shot(tiny_clip_cfg, tiny_clip_checkpoint):
    return build_zero_shot_model(CLASSES, model_name='tiny', pretrained=tiny_clip_checkpoint,
                                 model_cfg=tiny_clip_cfg, img_size=64)


def packed(path):
    pipeline = Compose([TRANSFORMS.build(t) for t in (dict(type='LoadImageFromFile'),
                                                      dict(type='PackSegInputs'))])
    return pipeline(dict(img_path=str(path)))


def test_whole_prediction_is_the_dense_clip_argmax(zero_shot, photos):
    sample = packed(photos['astronaut'])
    result = zero_shot.test_step(dict(inputs=[sample['inputs']],
                                      data_samples=[sample['data_samples']]))[0]
    assert result.pred_sem_seg.shape == (80, 96)
    normalised = zero_shot.data_preprocessor(dict(inputs=[sample['inputs']]))['inputs']
    expected = zero_shot.clip.predict_labels(normalised)[0]
    torch.testing.assert_close(result.pred_sem_seg.data[0], expected)
    assert zero_shot.dataset_meta['classes'] == ('person', 'sky', 'flag')
    assert result.seg_logits.data.shape == (3, 80, 96)


def test_slide_inference_covers_the_image(zero_shot, photos):
    sample = packed(photos['astronaut'])
    configure_test_cfg(zero_shot, 'slide', crop_size=64, stride=32)
    try:
        result = zero_shot.test_step(dict(inputs=[sample['inputs']],
                                          data_samples=[sample['data_samples']]))[0]
    finally:
        configure_test_cfg(zero_shot, 'whole')
    assert result.pred_sem_seg.shape == (80, 96)
    assert int(result.pred_sem_seg.data.max()) < 3


def test_registered_frozen_and_rejects_one_class(zero_shot, tiny_clip_cfg, tiny_clip_checkpoint):
    assert MODELS.get('ZeroShotSegmentor') is ZeroShotSegmentor
    zero_shot.train()
    assert not zero_shot.training and not zero_shot.clip.training
    with pytest.raises(NotImplementedError):
        zero_shot.loss(torch.zeros(1, 3, 64, 64), [])
    with pytest.raises(ValueError, match='at least 2 classes'):
        build_zero_shot_model({'sky': ['sky']}, model_name='tiny',
                              pretrained=tiny_clip_checkpoint, model_cfg=tiny_clip_cfg,
                              img_size=64)
