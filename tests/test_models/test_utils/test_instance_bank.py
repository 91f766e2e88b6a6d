"""DIDA's instance feature bank: slots, first fill, EMA rule, absent classes, components."""
import pytest
import torch
import torch.nn.functional as F

from mmseg_semivl.models.utils.instance_bank import (InstanceFeatureBank, balanced_class_slots,
                                                     connected_components)


def feats_and_label():
    """(B=1, D=2, 2, 3) features; classes 0 (left 2 columns), 1 (right column)."""
    feats = torch.tensor([[[1.0, 3.0, 10.0], [5.0, 7.0, 20.0]],
                          [[2.0, 4.0, 30.0], [6.0, 8.0, 40.0]]]).unsqueeze(0)
    label = torch.tensor([[[0, 0, 1], [0, 0, 1]]])
    return feats, label


def test_balanced_slots_and_layout():
    assert balanced_class_slots(300, 19) == [16] * 15 + [15] * 4
    assert sum(balanced_class_slots(100, 19)) == 100
    bank = InstanceFeatureBank(num_entries=7, num_classes=3, feat_dim=2)
    assert bank.labels.tolist() == [0, 0, 0, 1, 1, 2, 2]
    bank = InstanceFeatureBank(num_entries=4, num_classes=3, feat_dim=2, class_slots=[2, 0, 2])
    assert bank.labels.tolist() == [0, 0, 2, 2]
    with pytest.raises(ValueError):
        InstanceFeatureBank(num_entries=4, num_classes=3, class_slots=[2, 1, 2])


def test_first_update_copies_the_class_means_then_ema():
    bank = InstanceFeatureBank(num_entries=3, num_classes=3, feat_dim=2, class_slots=[1, 1, 1],
                               momentum=0.999, normalize=False)
    feats, label = feats_and_label()
    bank.update(feats, label)
    # class 0: mean of (1, 2), (3, 4), (5, 6), (7, 8) = (4, 5); class 1: (15, 35)
    torch.testing.assert_close(bank.features, torch.tensor([[4.0, 5.0], [15.0, 35.0],
                                                            [0.0, 0.0]]))
    assert bank.filled.tolist() == [True, True, False]
    # second batch: class 0 only (all pixels), mean (2, 1): f0 <- 0.999 f0 + 0.001 (2, 1)
    feats2 = torch.tensor([2.0, 1.0]).view(1, 2, 1, 1).expand(1, 2, 2, 3)
    bank.update(feats2, torch.zeros(1, 2, 3, dtype=torch.long))
    expected0 = 0.999 * torch.tensor([4.0, 5.0]) + 0.001 * torch.tensor([2.0, 1.0])
    torch.testing.assert_close(bank.features[0], expected0)
    # absent classes keep their features exactly (no decay toward 0)
    assert torch.equal(bank.features[1], torch.tensor([15.0, 35.0]))
    assert torch.equal(bank.features[2], torch.zeros(2)) and not bank.filled[2]
    assert bank.num_updates.item() == 2


def test_normalised_instances_are_unit_vectors():
    bank = InstanceFeatureBank(num_entries=2, num_classes=2, feat_dim=2, class_slots=[1, 1])
    feats, label = feats_and_label()
    bank.update(feats, label)
    torch.testing.assert_close(bank.features[0], F.normalize(torch.tensor([4.0, 5.0]), dim=0))


def test_ignored_pixels_do_not_count_and_min_pixels():
    bank = InstanceFeatureBank(num_entries=2, num_classes=2, feat_dim=2, class_slots=[1, 1],
                               normalize=False, min_pixels=3)
    feats, label = feats_and_label()
    label = label.clone()
    label[0, 0, 0] = 255  # pixel (1, 2) leaves class 0
    bank.update(feats, label)
    # class 0 mean of (3,4), (5,6), (7,8); class 1 has 2 < 3 pixels: not stored
    torch.testing.assert_close(bank.features[0], torch.tensor([5.0, 6.0]))
    assert bank.filled.tolist() == [True, False]


def test_ring_of_slots_takes_instances_in_image_order():
    bank = InstanceFeatureBank(num_entries=3, num_classes=2, feat_dim=1, class_slots=[2, 1],
                               normalize=False, momentum=0.5)
    # three images, all class 0, values 1, 2, 3: only 2 slots -> images 0 and 1 this call
    feats = torch.tensor([1.0, 2.0, 3.0]).view(3, 1, 1, 1)
    label = torch.zeros(3, 1, 1, dtype=torch.long)
    bank.update(feats, label)
    assert bank.features[:, 0].tolist() == [1.0, 2.0, 0.0]
    assert bank.pointer.tolist() == [0, 0]  # 2 taken of 2 slots: back to slot 0
    bank.update(feats[2:], label[2:])  # value 3 -> slot 0, EMA 0.5
    assert bank.features[:, 0].tolist() == [2.0, 2.0, 0.0]
    assert bank.pointer.tolist() == [1, 0]
    bank.update(feats[:1] * 10, label[:1])  # value 10 -> slot 1
    assert bank.features[:, 0].tolist() == [2.0, 6.0, 0.0]


def test_connected_components_on_the_device():
    label = torch.tensor([[[1, 1, 0, 1],
                           [0, 1, 0, 1],
                           [0, 0, 0, 1],
                           [1, 0, 1, 1]]])
    ids = connected_components(label, iterations=8)
    same = lambda a, b: ids[0][a] == ids[0][b]  # noqa: E731
    assert same((0, 0), (1, 1)) and same((0, 3), (3, 2))  # within components
    assert not same((0, 0), (0, 3)) and not same((3, 0), (3, 2))  # separate blobs of 1
    assert same((1, 0), (3, 1)) and same((1, 0), (0, 2))  # all 0s connect
    # the id is a pixel of the component itself (its class is label[id])
    assert torch.equal(label.flatten(1).gather(1, ids.flatten(1)), label.flatten(1))


def test_component_instances_are_the_largest_blobs():
    # class 1: a 3-pixel blob (value 2) and a 1-pixel blob (value 8); class 0 elsewhere
    label = torch.tensor([[[1, 1, 0, 0], [1, 0, 0, 1]]])
    feats = torch.tensor([[2.0, 2.0, 0.0, 0.0], [2.0, 0.0, 0.0, 8.0]]).view(1, 1, 2, 4)
    bank = InstanceFeatureBank(num_entries=4, num_classes=2, feat_dim=1, class_slots=[2, 2],
                               normalize=False, instances='component', max_components=2)
    bank.update(feats, label)
    assert bank.features[:, 0].tolist() == [0.0, 0.0, 2.0, 8.0]  # blob by size order
    assert bank.filled.tolist() == [True, False, True, True]
    by_class = InstanceFeatureBank(num_entries=2, num_classes=2, feat_dim=1, class_slots=[1, 1],
                                   normalize=False)
    by_class.update(feats, label)
    assert by_class.features[1, 0].item() == pytest.approx(14 / 4)  # one instance per class


def test_state_dict_round_trip_is_exact():
    bank = InstanceFeatureBank(num_entries=6, num_classes=3, feat_dim=4)
    g = torch.Generator().manual_seed(0)
    bank.update(torch.randn(2, 4, 5, 5, generator=g), torch.randint(0, 3, (2, 5, 5), generator=g))
    fresh = InstanceFeatureBank(num_entries=6, num_classes=3, feat_dim=4)
    state = bank.state_dict()
    assert set(state) == {'features', 'labels', 'filled', 'pointer', 'num_updates'}
    fresh.load_state_dict(state)
    for key, value in bank.state_dict().items():
        assert torch.equal(fresh.state_dict()[key], value), key


def test_update_does_not_synchronise(monkeypatch):
    """No .item(), .tolist(), .cpu() or truth value of a tensor inside the update."""
    bank = InstanceFeatureBank(num_entries=6, num_classes=3, feat_dim=4, instances='component')
    feats, label = torch.randn(2, 4, 6, 6), torch.randint(0, 3, (2, 6, 6))
    for name in ('item', 'tolist', 'cpu', '__bool__', 'numpy'):
        monkeypatch.setattr(torch.Tensor, name, _forbidden(name))
    bank.update(feats, label)
    bank.similarity(feats)
    monkeypatch.undo()
    assert bank.filled.any()


def _forbidden(name):
    def fail(*args, **kwargs):
        raise AssertionError(f'host synchronisation: Tensor.{name}')
    return fail
