"""DUDA's parts (models/utils/distillation.py) against hand computations."""
import math

import pytest
import torch

from mmseg_semivl.models.utils.distillation import (GradualDistillationSchedule,
                                                    build_schedule, class_disagreement,
                                                    class_weights_from_rates, ensemble_probs,
                                                    inconsistency_loss, mix_soft_target,
                                                    soft_distillation_loss)


def test_schedule_shapes_and_directions():
    lin = GradualDistillationSchedule(ramp_iters=4, shape='linear')
    assert [lin(t) for t in (-1, 0, 1, 2, 4, 100)] == [0.0, 0.0, 0.25, 0.5, 1.0, 1.0]
    cos = GradualDistillationSchedule(ramp_iters=4, shape='cosine')
    assert cos(1) == pytest.approx((1 - math.cos(math.pi / 4)) / 2)  # 0.1464
    assert cos(2) == pytest.approx(0.5)
    rev = GradualDistillationSchedule(ramp_iters=4, direction='soft_to_hard', final=0.8)
    assert [rev(t) for t in (0, 1, 4)] == [pytest.approx(0.8), pytest.approx(0.6), 0.0]
    step = build_schedule(None)  # no gradual part: the soft target at once
    assert [step(t) for t in (-1, 0, 7)] == [0.0, 1.0, 1.0]
    with pytest.raises(ValueError, match='shape'):
        GradualDistillationSchedule(shape='exp')


def test_soft_distillation_loss_by_hand():
    # pixel 0: p = softmax([0, ln 3]) = (1/4, 3/4), q = (1/2, 1/2), weight 2; pixel 1 weight 0
    logits = torch.tensor([[0.0, 5.0], [math.log(3), -2.0]]).view(1, 2, 1, 2)
    q = torch.tensor([[0.5, 0.3], [0.5, 0.7]]).view(1, 2, 1, 2)
    weight = torch.tensor([[[2.0, 0.0]]])
    kl = 0.5 * math.log(0.5 / 0.25) + 0.5 * math.log(0.5 / 0.75)  # 0.5 ln(4/3) = 0.14384
    assert soft_distillation_loss(logits, q, weight).item() == pytest.approx(2 * kl / 2)
    # T = 2: p = softmax([0, ln 3 / 2]) = (1, sqrt 3) / (1 + sqrt 3), times T^2 = 4
    p0 = 1 / (1 + math.sqrt(3))
    kl2 = 0.5 * math.log(0.5 / p0) + 0.5 * math.log(0.5 / (1 - p0))
    assert soft_distillation_loss(logits, q, weight, 2.0).item() == pytest.approx(4 * kl2)
    # an all-zero target pixel (ignored source pixel) costs nothing
    zero = torch.zeros_like(q)
    assert soft_distillation_loss(logits, zero, torch.ones(1, 1, 2)).item() == 0.0


def test_ensemble_probs_weights_are_normalised():
    a = torch.tensor([0.0, 0.0]).view(1, 2, 1, 1)          # softmax (1/2, 1/2)
    b = torch.tensor([0.0, math.log(3)]).view(1, 2, 1, 1)  # softmax (1/4, 3/4)
    probs = ensemble_probs(dict(ema=a, heavy=b), dict(ema=0.5, heavy=1.5, unused=9.0))
    # 1/4 (1/2, 1/2) + 3/4 (1/4, 3/4) = (5/16, 11/16)
    torch.testing.assert_close(probs.flatten(), torch.tensor([5 / 16, 11 / 16]))
    # temperature 2 on b alone: (1, sqrt 3) / (1 + sqrt 3)
    p = ensemble_probs(dict(heavy=b), dict(heavy=1.0), temperature=2.0).flatten()
    assert p[0].item() == pytest.approx(1 / (1 + math.sqrt(3)))


def test_mix_soft_target_pastes_one_hot_source_labels():
    probs = torch.full((1, 3, 1, 3), 1 / 3)
    label = torch.tensor([[[2, 255, 0]]])
    mask = torch.tensor([[[True, True, False]]])
    out = mix_soft_target(probs, label, mask)
    torch.testing.assert_close(out[0, :, 0, 0], torch.tensor([0.0, 0.0, 1.0]))
    torch.testing.assert_close(out[0, :, 0, 1], torch.zeros(3))  # ignored source pixel
    torch.testing.assert_close(out[0, :, 0, 2], torch.full((3, ), 1 / 3))  # target pixel


def test_class_disagreement_and_weights_by_hand():
    label = torch.tensor([[[0, 0, 1, 1, 1, 2]]])
    pred = torch.tensor([[[0, 1, 1, 0, 2, 2]]])
    valid = torch.tensor([[[True, True, True, True, True, False]]])
    total, wrong = class_disagreement(pred, label, valid, 3)
    assert total.tolist() == [2, 3, 0] and wrong.tolist() == [1, 2, 0]
    rates = torch.tensor([0.0, 0.5, 1.0])
    torch.testing.assert_close(class_weights_from_rates(rates, gamma=1.0, eps=0.0),
                               torch.tensor([0.0, 1.0, 2.0]))
    w = class_weights_from_rates(rates, gamma=2.0, eps=0.05)
    raw = torch.tensor([0.05, 0.55, 1.05])**2
    torch.testing.assert_close(w, raw * 3 / raw.sum())
    assert w.mean().item() == pytest.approx(1.0)


def test_inconsistency_loss_counts_disagreeing_pixels_by_class_weight():
    # pixel 0: label 0, argmax 0 (agrees); pixel 1: label 1, argmax 0 (disagrees);
    # pixel 2: ignored
    logits = torch.tensor([[2.0, 1.0, 0.0], [0.0, 0.5, 0.0]]).view(1, 2, 1, 3)
    label = torch.tensor([[[0, 1, 255]]])
    weight = torch.tensor([[[1.0, 0.5, 1.0]]])
    cw = torch.tensor([0.4, 1.6])
    ce1 = -math.log(math.exp(0.5) / (math.exp(1.0) + math.exp(0.5)))
    assert inconsistency_loss(logits, label, weight, cw).item() == pytest.approx(
        0.5 * 1.6 * ce1 / 3)
    ce0 = -math.log(math.exp(2.0) / (math.exp(2.0) + math.exp(0.0)))
    assert inconsistency_loss(logits, label, weight, cw, only_disagreeing=False).item() == \
        pytest.approx((1.0 * 0.4 * ce0 + 0.5 * 1.6 * ce1) / 3)
