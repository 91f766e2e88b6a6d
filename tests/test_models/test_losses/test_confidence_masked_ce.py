"""ConfidenceMaskedCrossEntropy against a hand computation."""
import math

import pytest
import torch

from mmseg_semivl.models.losses import ConfidenceMaskedCrossEntropy


def make_case():
    # One image, 2 classes, 1 x 3 pixels.
    logits = torch.tensor([[[[2.0, 0.0, 1.0]], [[0.0, 1.0, 1.0]]]])  # (1, 2, 1, 3)
    target = torch.tensor([[[0, 1, 255]]])
    conf = torch.tensor([[[0.99, 0.5, 0.99]]])
    valid = torch.tensor([[[True, True, False]]])
    return logits, target, conf, valid


def ce(logit_true: float, logit_other: float) -> float:
    return -logit_true + math.log(math.exp(logit_true) + math.exp(logit_other))


def test_consistency_normalises_by_valid_pixels():
    logits, target, conf, valid = make_case()
    loss = ConfidenceMaskedCrossEntropy(threshold=0.95, normalizer='valid')(
        logits, target, conf, valid)
    # Only pixel 0 is confident and valid; pixels 0 and 1 are valid.
    assert loss.item() == pytest.approx(ce(2.0, 0.0) / 2, rel=1e-6)


def test_guidance_normalises_by_all_pixels_and_weight():
    logits, target, conf, valid = make_case()
    loss = ConfidenceMaskedCrossEntropy(threshold=0.4, normalizer='all', loss_weight=0.5)(
        logits, target, conf, valid)
    # Pixels 0 and 1 are confident; all 3 pixels count in the denominator.
    expected = 0.5 * (ce(2.0, 0.0) + ce(1.0, 0.0)) / 3
    assert loss.item() == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize('normalizer', ['valid', 'all'])
def test_no_confident_pixel_gives_zero_not_nan(normalizer):
    logits, target, _, valid = make_case()
    loss_fn = ConfidenceMaskedCrossEntropy(threshold=0.95, normalizer=normalizer)
    unconfident = torch.full_like(target, 0.1, dtype=torch.float)
    assert loss_fn(logits, target, unconfident, valid).item() == 0.0
    nothing_valid = torch.zeros_like(valid)
    loss = loss_fn(logits, target, torch.ones_like(unconfident), nothing_valid)
    assert torch.isfinite(loss) and loss.item() == 0.0


def test_ignore_index_never_contributes_even_if_marked_valid():
    logits, target, conf, _ = make_case()
    loss = ConfidenceMaskedCrossEntropy(threshold=0.95, normalizer='valid')(
        logits, target, conf, torch.ones_like(target, dtype=torch.bool))
    # Pixel 2 (255) drops out of both sums.
    assert loss.item() == pytest.approx(ce(2.0, 0.0) / 2, rel=1e-6)


def test_gradient_only_through_confident_pixels():
    logits, target, conf, valid = make_case()
    logits.requires_grad_(True)
    ConfidenceMaskedCrossEntropy(threshold=0.95)(logits, target, conf, valid).backward()
    assert logits.grad[..., 0].abs().sum() > 0
    assert logits.grad[..., 1:].abs().sum() == 0


def test_bad_arguments():
    with pytest.raises(ValueError, match='normalizer'):
        ConfidenceMaskedCrossEntropy(normalizer='mean')
    with pytest.raises(ValueError, match='threshold'):
        ConfidenceMaskedCrossEntropy(threshold=1.5)


def make_two_image_case():
    # Two images, 2 classes, 1 x 2 pixels each; image 1's second pixel is padding.
    logits = torch.tensor([[[[2.0, 0.0]], [[0.0, 1.0]]],
                           [[[1.0, 3.0]], [[0.0, 0.0]]]])  # (2, 2, 1, 2)
    target = torch.tensor([[[0, 1]], [[1, 0]]])
    conf = torch.tensor([[[0.9, 0.5]], [[0.96, 0.1]]])
    valid = torch.tensor([[[True, True]], [[True, False]]])
    return logits, target, conf, valid


def test_pixelavg_weights_each_image_by_its_mean_valid_confidence():
    logits, target, conf, valid = make_two_image_case()
    loss = ConfidenceMaskedCrossEntropy(threshold=0.95, conf_mode='pixelavg')(
        logits, target, conf, valid)
    # Image 0: mean confidence (0.9 + 0.5) / 2 = 0.7 on both pixels, no threshold.
    # Image 1: only its valid pixel counts, in the CE sum and in the mean (0.96).
    # Denominator: the 3 valid pixels of the batch.
    expected = (0.7 * (ce(2.0, 0.0) + ce(1.0, 0.0)) + 0.96 * ce(0.0, 1.0)) / 3
    assert loss.item() == pytest.approx(expected, rel=1e-6)


def test_pixelratio_weights_each_image_by_its_confident_fraction():
    logits, target, conf, valid = make_two_image_case()
    loss = ConfidenceMaskedCrossEntropy(threshold=0.95, conf_mode='pixelratio')(
        logits, target, conf, valid)
    # Image 0: no pixel reaches 0.95 -> weight 0; image 1: 1 of 1 valid pixel -> 1.
    assert loss.item() == pytest.approx(ce(0.0, 1.0) / 3, rel=1e-6)


def test_pixelavg_gives_gradient_to_unconfident_pixels_only_where_valid():
    logits, target, conf, valid = make_two_image_case()
    logits.requires_grad_(True)
    conf.requires_grad_(True)
    ConfidenceMaskedCrossEntropy(conf_mode='pixelavg')(logits, target, conf, valid).backward()
    assert logits.grad[0, :, 0, 1].abs().sum() > 0  # confidence 0.5 < 0.95, still trained
    assert logits.grad[1, :, 0, 1].abs().sum() == 0  # padding
    assert conf.grad is None  # the confidence is a weight, not a target


def test_pixelavg_without_valid_pixels_is_zero_not_nan():
    logits, target, conf, _ = make_two_image_case()
    loss = ConfidenceMaskedCrossEntropy(conf_mode='pixelavg')(
        logits, target, conf, torch.zeros_like(target, dtype=torch.bool))
    assert torch.isfinite(loss) and loss.item() == 0.0


def test_bad_conf_mode():
    with pytest.raises(ValueError, match='conf_mode'):
        ConfidenceMaskedCrossEntropy(conf_mode='imageavg')
