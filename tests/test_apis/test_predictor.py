"""Batched inference of image files and the whole / sliding-window settings."""

from types import SimpleNamespace

import numpy as np
import pytest

from mmseg_semivl.apis import (configure_test_cfg, inference_pipeline, init_semivl_model,
                               predict_files)

from tiny_semivl import ASTRONAUT_SIZE, VOC_SIZE


def test_configure_test_cfg():
    model = SimpleNamespace(test_cfg=dict(mode='whole'))
    cfg = configure_test_cfg(model, 'slide', crop_size=64)
    assert (cfg.mode, cfg.crop_size, cfg.stride) == ('slide', (64, 64), (43, 43))  # 2/3 crop
    cfg = configure_test_cfg(model, crop_size=(32, 48), stride=(16, 24))
    assert (cfg.mode, cfg.crop_size, cfg.stride) == ('slide', (32, 48), (16, 24))
    assert configure_test_cfg(model, 'whole').mode == 'whole'
    with pytest.raises(ValueError, match='--crop-size'):
        configure_test_cfg(SimpleNamespace(test_cfg=None), 'slide')
    with pytest.raises(ValueError, match="'whole' or 'slide'"):
        configure_test_cfg(model, 'tiles')


def test_inference_pipeline_reads_arrays_without_labels(demo_cfg):
    pipeline = inference_pipeline(demo_cfg.test_pipeline)
    names = [type(t).__name__ for t in pipeline.transforms]
    assert names == ['LoadImageFromNDArray', 'Resize', 'PackSegInputs']
    with pytest.raises(ValueError, match='image loading'):
        inference_pipeline([dict(type='PackSegInputs')])


def test_batches_of_different_sizes_match_single_images(demo_cfg, tiny_semivl_checkpoint,
                                                        photos):
    model = init_semivl_model(demo_cfg, tiny_semivl_checkpoint, device='cpu')
    pipeline = inference_pipeline(demo_cfg.test_pipeline)
    paths = [str(photos['voc']), str(photos['astronaut'])]
    batched = list(predict_files(model, paths, pipeline, batch_size=2))
    single = list(predict_files(model, paths, pipeline, batch_size=1))
    assert [p for p, _, _ in batched] == paths
    for (_, image, labels), size, (_, _, reference) in zip(batched, (VOC_SIZE, ASTRONAUT_SIZE),
                                                          single):
        assert image.shape == (*size, 3) and labels.shape == size
        assert labels.max() < 21
        np.testing.assert_array_equal(labels, reference)
    with pytest.raises(ValueError, match='batch_size'):
        next(predict_files(model, paths, pipeline, batch_size=0))
