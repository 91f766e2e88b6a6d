"""CutMixBoxMixer and ClassMixMasker: the same interface, exact pixels."""
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample


def sample_with_boxes(*boxes):
    s = SegDataSample()
    for i, box in enumerate(boxes, start=1):
        setattr(s, f'cutmix_box{i}', PixelData(data=box[None]))
    return s


def test_cutmix_mixes_images_and_targets_inside_the_box_only():
    mixer = MODELS.build(dict(type='CutMixBoxMixer'))
    box1 = torch.zeros(4, 6, dtype=torch.uint8)
    box1[1:3, 2:5] = 1
    box2 = torch.zeros(4, 6, dtype=torch.uint8)
    box2[0, 0] = 1
    samples = [sample_with_boxes(box1, box2), sample_with_boxes(box2, box1)]
    mask = mixer.mask(1, samples, partner={})
    assert mask.dtype == torch.bool and torch.equal(mask, torch.stack([box1, box2]).bool())
    own = dict(img=torch.zeros(2, 3, 4, 6), label=torch.zeros(2, 4, 6, dtype=torch.long))
    partner = dict(img=torch.ones(2, 3, 4, 6), label=torch.full((2, 4, 6), 7))
    mixed = mixer.mix(own, partner, mask)
    assert mixed['img'][0, :, 1:3, 2:5].eq(1).all() and mixed['img'].sum() == 3 * (6 + 1)
    assert mixed['label'][1, 0, 0] == 7 and mixed['label'].eq(7).sum() == 6 + 1
    assert mixed['label'].dtype == torch.long
    assert torch.equal(mixer.mask(2, samples, {}), torch.stack([box2, box1]).bool())
    with pytest.raises(KeyError, match='cutmix_box3'):
        mixer.mask(3, samples, {})


def test_classmix_pastes_half_of_the_partner_classes():
    mixer = MODELS.build(dict(type='ClassMixMasker'))
    label = torch.tensor([[[0, 0, 1, 1], [2, 2, 3, 3]],
                          [[0, 1, 2, 3], [0, 1, 2, 3]]])
    torch.manual_seed(0)
    mask = mixer.mask(1, None, dict(label=label))
    for i in range(2):
        chosen = label[i][mask[i]].unique()
        # 4 classes in the batch -> 2 drawn; the mask is exactly their pixels.
        assert chosen.numel() == 2
        assert torch.equal(mask[i], torch.isin(label[i], chosen))
    own = dict(img=torch.zeros(2, 1, 2, 4), label=torch.full((2, 2, 4), 9))
    mixed = mixer.mix(own, dict(img=torch.ones(2, 1, 2, 4), label=label), mask)
    assert torch.equal(mixed['img'][:, 0].bool(), mask)
    assert torch.equal(mixed['label'], torch.where(mask, label, torch.full_like(label, 9)))


def test_classmix_draws_from_the_batch_classes_like_dacs():
    # Sample 0 holds only class 0; the batch holds 0, 1, 2 -> (3 + 1) / 2 = 2 draws, so
    # sample 0's mask is empty whenever class 0 is not drawn (DACS's quirk).
    label = torch.stack([torch.zeros(2, 2, dtype=torch.long),
                         torch.tensor([[1, 2], [1, 2]])])
    batch, per_sample = (MODELS.build(dict(type='ClassMixMasker', classes_from=c))
                         for c in ('batch', 'sample'))
    empty = 0
    for seed in range(20):
        torch.manual_seed(seed)
        empty += int(not batch.mask_from_labels(label)[0].any())
        torch.manual_seed(seed)
        assert per_sample.mask_from_labels(label)[0].all()  # its only class, drawn
    assert 0 < empty < 20
    no_ignore = MODELS.build(dict(type='ClassMixMasker', ignore_index=255))
    assert not no_ignore.mask_from_labels(torch.full((1, 2, 2), 255)).any()
    with pytest.raises(ValueError, match='classes_from'):
        MODELS.build(dict(type='ClassMixMasker', classes_from='image'))
