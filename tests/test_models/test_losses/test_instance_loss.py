"""DIDA's similarity distribution and instance loss against hand computations."""
import math

import pytest
import torch

from mmseg_semivl.models.losses import (InstanceSimilarityLoss, instance_loss,
                                        similarity_distribution)


def sims():
    # (B=1, K=3, h=1, w=2): pixel 0 has dot products (0.5, 0.2, -0.1), pixel 1 (0, 0.3, 0.1)
    return torch.tensor([[0.5, 0.0], [0.2, 0.3], [-0.1, 0.1]]).view(1, 3, 1, 2)


def test_distribution_is_softmax_of_dot_products_over_tp():
    q = similarity_distribution(sims(), temperature=0.1)
    e = [math.exp(5.0), math.exp(2.0), math.exp(-1.0)]
    expected0 = [v / sum(e) for v in e]
    e = [math.exp(0.0), math.exp(3.0), math.exp(1.0)]
    expected1 = [v / sum(e) for v in e]
    torch.testing.assert_close(q[0, :, 0, 0], torch.tensor(expected0))
    torch.testing.assert_close(q[0, :, 0, 1], torch.tensor(expected1))
    # tp = 0.2 is flatter: the top entry of pixel 0 gets exp(2.5) / (exp(2.5) + exp(1) + exp(-.5))
    q2 = similarity_distribution(sims(), temperature=0.2)
    top = math.exp(2.5) / (math.exp(2.5) + math.exp(1.0) + math.exp(-0.5))
    assert q2[0, 0, 0, 0].item() == pytest.approx(top, rel=1e-6)


def test_tp_zero_is_the_argmax_and_small_tp_tends_to_it():
    hard = similarity_distribution(sims(), temperature=0)
    expected = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]).view(1, 3, 1, 2)
    assert torch.equal(hard, expected)
    soft = similarity_distribution(sims(), temperature=1e-3)
    torch.testing.assert_close(soft, expected, atol=1e-6, rtol=0)


def test_empty_entries_get_zero_and_the_rest_renormalise():
    mask = torch.tensor([False, True, True])
    q = similarity_distribution(sims(), temperature=0.1, entry_mask=mask)
    e = [math.exp(2.0), math.exp(-1.0)]
    torch.testing.assert_close(q[0, :, 0, 0], torch.tensor([0.0, e[0] / sum(e), e[1] / sum(e)]))
    # argmax among the filled entries only: pixel 0's best filled entry is 1
    hard = similarity_distribution(sims(), temperature=0, entry_mask=mask)
    assert hard[0, :, 0, 0].tolist() == [0.0, 1.0, 0.0]
    none = similarity_distribution(sims(), 0.1, torch.zeros(3, dtype=torch.bool))
    assert torch.equal(none, torch.zeros_like(none))


def test_loss_is_weighted_cross_entropy_mean_over_pixels():
    target = torch.tensor([[0.5, 1.0], [0.5, 0.0], [0.0, 0.0]]).view(1, 3, 1, 2)
    weight = torch.tensor([[[1.0, 0.5]]])
    q = similarity_distribution(sims(), 0.1)
    ce0 = -(0.5 * math.log(q[0, 0, 0, 0]) + 0.5 * math.log(q[0, 1, 0, 0]))
    ce1 = -math.log(q[0, 0, 0, 1])
    expected = (1.0 * ce0 + 0.5 * ce1) / 2
    assert instance_loss(sims(), target, weight, 0.1).item() == pytest.approx(expected, rel=1e-5)
    loss = InstanceSimilarityLoss(loss_weight=2.0, temperature=0.1)
    assert loss(sims(), target, weight).item() == pytest.approx(2 * expected, rel=1e-5)


def test_loss_gradient_is_q_minus_target_over_tp():
    sim = sims().requires_grad_(True)
    target = torch.tensor([[0.2, 0.0], [0.3, 1.0], [0.5, 0.0]]).view(1, 3, 1, 2)
    instance_loss(sim, target, None, 0.1).backward()
    q = similarity_distribution(sims(), 0.1)
    torch.testing.assert_close(sim.grad, (q - target) / 0.1 / 2)  # mean over 2 pixels


def test_masked_entries_and_empty_targets_give_finite_zero_loss():
    mask = torch.tensor([True, False, False])
    target = torch.zeros(1, 3, 1, 2)  # no target anywhere
    assert instance_loss(sims(), target, None, 0.1, mask).item() == 0.0
    target[0, 0] = 1.0
    # one filled entry: q = 1 on it, CE = 0, never NaN from the masked ones
    value = instance_loss(sims(), target, None, 0.1, mask)
    assert torch.isfinite(value) and value.item() == pytest.approx(0.0, abs=1e-6)


def test_bad_temperatures_are_refused():
    with pytest.raises(ValueError):
        similarity_distribution(sims(), temperature=-0.1)
    with pytest.raises(ValueError):
        InstanceSimilarityLoss(temperature=0)
