import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmseg.registry import TRANSFORMS
from mmseg.structures import SegDataSample

from mmseg_semivl.datasets.transforms import PackSemiInputs

H, W = 6, 8


def labeled_results():
    rng = np.random.default_rng(0)
    return dict(img=rng.integers(0, 256, (H, W, 3), dtype=np.uint8),
                gt_seg_map=rng.integers(0, 21, (H, W), dtype=np.uint8),
                img_path='a.jpg', ori_shape=(12, 16), img_shape=(H, W), flip=True,
                flip_direction='horizontal', scale_factor=(0.5, 0.5), reduce_zero_label=False)


def unlabeled_results(with_gt: bool):
    rng = np.random.default_rng(1)
    results = dict(img=rng.integers(0, 256, (H, W, 3), dtype=np.uint8),
                   img_strong1=rng.integers(0, 256, (H, W, 3), dtype=np.uint8),
                   img_strong2=rng.integers(0, 256, (H, W, 3), dtype=np.uint8),
                   valid_mask=np.ones((H, W), np.uint8),
                   cutmix_box1=np.zeros((H, W), np.uint8),
                   cutmix_box2=np.ones((H, W), np.uint8),
                   img_path='u.jpg', ori_shape=(H, W), img_shape=(H, W), flip=False)
    results['valid_mask'][4:] = 0
    results['cutmix_box1'][1:3, 2:5] = 1
    if with_gt:
        results['gt_seg_map'] = rng.integers(0, 21, (H, W), dtype=np.uint8)
    return results


def test_labeled_structure_and_values():
    results = labeled_results()
    packed = TRANSFORMS.build(dict(type='PackSemiInputs', branch='labeled'))(dict(results))
    assert packed['inputs'].keys() == {'labeled', 'weak', 'strong1', 'strong2'}
    assert packed['inputs']['weak'] is None and packed['inputs']['strong2'] is None
    assert packed['data_samples']['unlabeled'] is None
    img = packed['inputs']['labeled']
    assert img.dtype == torch.uint8 and img.shape == (3, H, W)
    assert img.equal(torch.from_numpy(results['img']).permute(2, 0, 1))
    sample = packed['data_samples']['labeled']
    assert isinstance(sample, SegDataSample)
    assert sample.gt_sem_seg.data.shape == (1, H, W) and sample.gt_sem_seg.data.dtype == torch.int64
    assert sample.gt_sem_seg.data[0].equal(torch.from_numpy(results['gt_seg_map']).long())
    assert sample.metainfo == dict(img_path='a.jpg', ori_shape=(12, 16), img_shape=(H, W),
                                   flip=True, flip_direction='horizontal',
                                   scale_factor=(0.5, 0.5), reduce_zero_label=False)


@pytest.mark.parametrize('with_gt', [True, False])
def test_unlabeled_structure_and_values(with_gt):
    results = unlabeled_results(with_gt)
    packed = PackSemiInputs(branch='unlabeled')(dict(results))
    assert packed['inputs']['labeled'] is None and packed['data_samples']['labeled'] is None
    for branch, key in (('weak', 'img'), ('strong1', 'img_strong1'), ('strong2', 'img_strong2')):
        assert packed['inputs'][branch].equal(torch.from_numpy(results[key]).permute(2, 0, 1))
    sample = packed['data_samples']['unlabeled']
    for key in ('valid_mask', 'cutmix_box1', 'cutmix_box2'):
        data = getattr(sample, key).data
        assert data.dtype == torch.uint8 and data.shape == (1, H, W)
        assert data[0].equal(torch.from_numpy(results[key]))
    assert ('gt_sem_seg' in sample) == with_gt
    assert sample.img_path == 'u.jpg' and sample.flip is False


def test_mixed_samples_collate_with_pseudo_collate():
    pack_l, pack_u = PackSemiInputs('labeled'), PackSemiInputs('unlabeled')
    batch = pseudo_collate([pack_l(labeled_results()), pack_u(unlabeled_results(False)),
                            pack_u(unlabeled_results(True))])
    assert [x is None for x in batch['inputs']['labeled']] == [False, True, True]
    assert [x is None for x in batch['inputs']['weak']] == [True, False, False]
    assert [x is None for x in batch['data_samples']['unlabeled']] == [True, False, False]


def test_missing_or_misaligned_keys_raise_clear_errors():
    results = unlabeled_results(False)
    del results['cutmix_box2']
    with pytest.raises(KeyError, match='cutmix_box2.*GenerateCutMixBox'):
        PackSemiInputs('unlabeled')(results)
    results = unlabeled_results(False)
    del results['valid_mask']
    with pytest.raises(KeyError, match='valid_mask.*AddValidMask'):
        PackSemiInputs('unlabeled')(results)
    results = unlabeled_results(False)
    results['valid_mask'] = np.ones((H // 2, W // 2), np.uint8)
    with pytest.raises(ValueError, match='valid_mask'):
        PackSemiInputs('unlabeled')(results)
    results = labeled_results()
    del results['gt_seg_map']
    with pytest.raises(KeyError, match='LoadAnnotations'):
        PackSemiInputs('labeled')(results)
    with pytest.raises(ValueError, match='branch'):
        PackSemiInputs('teacher')
