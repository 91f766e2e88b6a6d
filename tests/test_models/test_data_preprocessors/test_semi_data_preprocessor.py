import copy

import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmseg.datasets.transforms import PackSegInputs
from mmseg.models.data_preprocessor import SegDataPreProcessor
from mmseg.registry import MODELS

from mmseg_semivl.datasets.transforms import PackSemiInputs
from mmseg_semivl.models.data_preprocessors import SemiSegDataPreProcessor

CLIP_NORM = dict(mean=[122.771, 116.746, 104.094], std=[68.501, 66.632, 70.323], bgr_to_rgb=True)


def labeled(seed, h=8, w=8):
    rng = np.random.default_rng(seed)
    return PackSemiInputs('labeled')(dict(
        img=rng.integers(0, 256, (h, w, 3), dtype=np.uint8),
        gt_seg_map=rng.integers(0, 21, (h, w), dtype=np.uint8), img_path=f'l{seed}.jpg'))


def unlabeled(seed, h=8, w=8):
    rng = np.random.default_rng(seed)
    return PackSemiInputs('unlabeled')(dict(
        img=rng.integers(0, 256, (h, w, 3), dtype=np.uint8),
        img_strong1=rng.integers(0, 256, (h, w, 3), dtype=np.uint8),
        img_strong2=rng.integers(0, 256, (h, w, 3), dtype=np.uint8),
        gt_seg_map=rng.integers(0, 21, (h, w), dtype=np.uint8),
        valid_mask=np.ones((h, w), np.uint8), cutmix_box1=np.ones((h, w), np.uint8),
        cutmix_box2=np.zeros((h, w), np.uint8), img_path=f'u{seed}.jpg'))


def test_normalisation_matches_hand_computation():
    preprocessor = MODELS.build(dict(type='SemiSegDataPreProcessor', **CLIP_NORM, size=(2, 2)))
    img = np.array([[[0, 128, 255], [10, 20, 30]], [[255, 255, 255], [1, 2, 3]]], np.uint8)  # BGR
    sample = PackSemiInputs('labeled')(dict(img=img, gt_seg_map=np.zeros((2, 2), np.uint8)))
    out = preprocessor(pseudo_collate([sample]), training=True)
    result = out['inputs']['labeled']
    assert result.shape == (1, 3, 2, 2) and result.dtype == torch.float32
    # Pixel (0, 0) is B=0, G=128, R=255 -> RGB channel c = (value - mean[c]) / std[c].
    expected = [(255 - 122.771) / 68.501, (128 - 116.746) / 66.632, (0 - 104.094) / 70.323]
    assert result[0, :, 0, 0].tolist() == pytest.approx(expected, abs=1e-5)
    # Pixel (1, 1) is B=1, G=2, R=3.
    expected = [(3 - 122.771) / 68.501, (2 - 116.746) / 66.632, (1 - 104.094) / 70.323]
    assert result[0, :, 1, 1].tolist() == pytest.approx(expected, abs=1e-5)


def test_mixed_batch_is_grouped_by_branch_in_sample_order():
    samples = [labeled(0), unlabeled(1), labeled(2), unlabeled(3)]  # interleaved on purpose
    preprocessor = SemiSegDataPreProcessor(**CLIP_NORM, size=(8, 8))
    out = preprocessor(pseudo_collate(samples), training=True)
    assert {k: tuple(v.shape) for k, v in out['inputs'].items()} == {
        'labeled': (2, 3, 8, 8), 'weak': (2, 3, 8, 8), 'strong1': (2, 3, 8, 8),
        'strong2': (2, 3, 8, 8)}
    assert [s.img_path for s in out['data_samples']['labeled']] == ['l0.jpg', 'l2.jpg']
    assert [s.img_path for s in out['data_samples']['unlabeled']] == ['u1.jpg', 'u3.jpg']
    mean = torch.tensor(CLIP_NORM['mean']).view(3, 1, 1)
    std = torch.tensor(CLIP_NORM['std']).view(3, 1, 1)
    for branch, group, sources in (('labeled', 'labeled', [0, 2]), ('weak', 'unlabeled', [1, 3]),
                                   ('strong2', 'unlabeled', [1, 3])):
        for row, source in enumerate(sources):
            raw = samples[source]['inputs'][branch].flip(0).float()  # BGR -> RGB
            torch.testing.assert_close(out['inputs'][branch][row], (raw - mean) / std)
    unlabeled_sample = out['data_samples']['unlabeled'][0]
    assert unlabeled_sample.valid_mask.data.shape == (1, 8, 8)
    assert unlabeled_sample.cutmix_box1.data.all()


def test_padding_of_branches_and_pixel_fields():
    # 6x7 images with size_divisor 4 -> padded to 8x8 on the bottom/right.
    samples = [labeled(0, 6, 7), unlabeled(1, 6, 7), unlabeled(2, 6, 7)]
    preprocessor = SemiSegDataPreProcessor(**CLIP_NORM, size_divisor=4, pad_val=0,
                                           seg_pad_val=255)
    out = preprocessor(pseudo_collate(samples), training=True)
    for branch in ('labeled', 'weak', 'strong1', 'strong2'):
        batch = out['inputs'][branch]
        assert batch.shape[-2:] == (8, 8)
        assert (batch[..., 6:, :] == 0).all() and (batch[..., 7:] == 0).all()
    for sample in out['data_samples']['unlabeled']:
        pad = torch.ones(8, 8, dtype=torch.bool)
        pad[:6, :7] = False
        # Padded once, not once per branch of the group.
        assert sample.padding_size == (0, 1, 0, 2) and sample.gt_sem_seg.shape == (8, 8)
        assert (sample.gt_sem_seg.data[0][pad] == 255).all()
        assert (sample.gt_sem_seg.data[0][~pad] < 21).all()
        np.testing.assert_array_equal(sample.valid_mask.data[0].numpy(), (~pad).numpy())
        np.testing.assert_array_equal(sample.cutmix_box1.data[0].numpy(), (~pad).numpy())
        assert not sample.cutmix_box2.data.any()
    assert out['data_samples']['labeled'][0].gt_sem_seg.shape == (8, 8)


def test_pixel_fields_follow_the_device():
    preprocessor = SemiSegDataPreProcessor(**CLIP_NORM, size=(8, 8)).to('meta')
    out = preprocessor(pseudo_collate([labeled(0), unlabeled(1)]), training=True)
    assert out['inputs']['weak'].device.type == 'meta'
    sample = out['data_samples']['unlabeled'][0]
    for key in ('gt_sem_seg', 'valid_mask', 'cutmix_box1', 'cutmix_box2'):
        assert getattr(sample, key).data.device.type == 'meta', key


@pytest.mark.parametrize('training', [True, False])
def test_plain_batch_equals_seg_data_preprocessor(training):
    rng = np.random.default_rng(0)
    pack = PackSegInputs()

    def batch():
        return pseudo_collate([
            pack(dict(img=rng.integers(0, 256, (6, 7, 3), dtype=np.uint8),
                      gt_seg_map=rng.integers(0, 21, (6, 7), dtype=np.uint8)))
            for _ in range(2)])

    data = batch()
    cfg = dict(**CLIP_NORM, size_divisor=4, test_cfg=dict(size_divisor=4))
    # Training pads the data samples in place: give each pre-processor its own copy.
    reference = SegDataPreProcessor(**cfg)(copy.deepcopy(data), training=training)
    ours = SemiSegDataPreProcessor(**cfg)(data, training=training)
    torch.testing.assert_close(ours['inputs'], reference['inputs'], rtol=0, atol=0)
    assert ours['inputs'].shape == (2, 3, 8, 8)
    assert len(ours['data_samples']) == 2
    for a, b in zip(ours['data_samples'], reference['data_samples']):
        assert a is not b
        assert a.metainfo == b.metainfo
        assert a.gt_sem_seg.data.equal(b.gt_sem_seg.data)


def test_inconsistent_batches_raise_clear_errors():
    preprocessor = SemiSegDataPreProcessor(size=(8, 8))
    data = pseudo_collate([labeled(0), unlabeled(1)])
    data['data_samples']['unlabeled'][1] = None
    with pytest.raises(ValueError, match='sample 1'):
        preprocessor(data, training=True)
    data = pseudo_collate([unlabeled(1, 8, 8), unlabeled(2, 6, 6)])
    with pytest.raises(ValueError, match='weak.*shapes'):
        SemiSegDataPreProcessor()(data, training=True)
