import numpy as np
import pytest
from mmseg.registry import TRANSFORMS

from mmseg_semivl.datasets.transforms import AddValidMask, PadToSize


def sample(height=3, width=4):
    img = np.arange(height * width * 3, dtype=np.uint8).reshape(height, width, 3) + 1
    label = np.full((height, width), 7, np.uint8)
    return dict(img=img, gt_seg_map=label, seg_fields=['gt_seg_map'])


def test_add_valid_mask_registers_seg_field_once():
    results = AddValidMask()(sample())
    assert results['valid_mask'].shape == (3, 4) and results['valid_mask'].dtype == np.uint8
    assert results['valid_mask'].all()
    assert results['seg_fields'] == ['gt_seg_map', 'valid_mask']
    results = AddValidMask()(results)
    assert results['seg_fields'] == ['gt_seg_map', 'valid_mask']


def test_add_valid_mask_creates_seg_fields_and_needs_img():
    assert AddValidMask()(dict(img=np.zeros((2, 2, 3), np.uint8)))['seg_fields'] == ['valid_mask']
    with pytest.raises(KeyError, match='LoadImageFromFile'):
        AddValidMask()(dict())


def test_pad_values_per_field_bottom_right():
    results = AddValidMask()(sample())
    img = results['img'].copy()
    results['img_strong1'] = img + 100
    results['img_fields'] = ['img', 'img_strong1']
    out = TRANSFORMS.build(dict(type='PadToSize', size=(5, 6)))(results)
    for key in ('img', 'img_strong1', 'gt_seg_map', 'valid_mask'):
        assert out[key].shape[:2] == (5, 6)
    np.testing.assert_array_equal(out['img'][:3, :4], img)
    np.testing.assert_array_equal(out['img_strong1'][:3, :4], img + 100)
    expected_valid = np.zeros((5, 6), np.uint8)
    expected_valid[:3, :4] = 1
    np.testing.assert_array_equal(out['valid_mask'], expected_valid)
    pad = expected_valid == 0
    assert (out['img'][pad] == 0).all() and (out['img_strong1'][pad] == 0).all()
    assert (out['gt_seg_map'][pad] == 255).all() and (out['gt_seg_map'][~pad] == 7).all()
    assert out['img_shape'] == (5, 6) and out['pad_shape'] == (5, 6, 3)


def test_pad_custom_values_and_no_crop_of_larger_sides():
    results = AddValidMask()(sample(3, 8))
    out = PadToSize(size=5, pad_val=9, seg_pad_val=254, seg_pad_vals={})(results)
    assert out['img'].shape == (5, 8, 3)
    assert (out['img'][3:] == 9).all()
    assert (out['gt_seg_map'][3:] == 254).all()
    # With an empty override dict the valid mask falls back to seg_pad_val.
    assert (out['valid_mask'][3:] == 254).all()


def test_pad_rejects_misaligned_fields():
    results = AddValidMask()(sample())
    results['valid_mask'] = np.ones((2, 2), np.uint8)
    with pytest.raises(ValueError, match='valid_mask.*default scope'):
        PadToSize(size=8)(results)
    with pytest.raises(ValueError, match='size'):
        PadToSize(size=(0, 4))
