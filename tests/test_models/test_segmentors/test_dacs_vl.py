"""Vision-language guided DACS (issue 21): dense CLIP guidance and the VL feature distance
on toy modules, against hand computations; every part off = plain DACS bit for bit."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmseg_semivl.models.utils.clip_guidance import (DenseCLIPGuidance,
                                                     VisionLanguageFeatureDistance)
from semi_batch import set_progress
from test_dacs import NO_AUG, dacs, gt_of, uda_batch
from toy_modules import ToyDenseCLIP


GUIDANCE = dict(type='ToyDenseCLIP')
#: No re-normalisation (the toy pre-processor does not normalise), sharp softmax, zeta 0.5.
GUIDE = dict(temperature=10.0, mean=None, std=None,
             loss=dict(type='ConfidenceMaskedCrossEntropy', threshold=0.5, normalizer='all'))


def step(model, seed=11, batch_seed=0):
    inputs, samples = uda_batch(batch_seed)
    torch.manual_seed(seed)
    losses = model.loss(inputs, samples)
    total = sum(v for k, v in losses.items() if 'loss' in k)
    total.backward()
    grads = {n: p.grad.clone() for n, p in model.student.named_parameters()}
    return losses, grads


def assert_bitwise(a, b):
    assert set(a) == set(b)
    for key in a:
        assert torch.equal(a[key], b[key]), key


def hand_guidance_loss(model, inputs, samples, source_pixels, lam, seed=11):
    """lambda x M(p_mix, mixed guidance) of a toy step seeded with ``seed``, by hand:
    (loss, kept pixels, conf). The mixer's class draw is the step's first random draw."""
    gt = gt_of(samples)
    torch.manual_seed(seed)
    mask = model.mixer.mask_from_labels(gt)
    img = torch.where(mask[:, None], inputs['labeled'], inputs['weak'])
    prob = (10.0 * model.guidance(inputs['weak'])).softmax(dim=1)  # full resolution
    conf, label = prob.max(dim=1)
    if source_pixels == 'ignore':
        label_mix = torch.where(mask, torch.full_like(label, 255), label)
        conf_mix = torch.where(mask, torch.zeros_like(conf), conf)
    else:
        label_mix = torch.where(mask, gt, label)
        conf_mix = torch.where(mask, torch.ones_like(conf), conf)
    s = model.student
    pred = s.decode_head(s.backbone(img))
    ce = F.cross_entropy(pred, label_mix, reduction='none', ignore_index=255)
    keep = (conf_mix >= 0.5) & (label_mix != 255)
    return lam * (ce * keep).sum() / ce.numel(), keep, conf  # normalised by ALL pixels


def hand_vl_feature_distance(model, inputs, samples, mask_mode):
    """VL-FD of a toy step by hand: (loss, share of covered positions)."""
    src, gt = inputs['labeled'], gt_of(samples)
    feat = F.normalize(model.student.backbone(src)[-1], dim=1)
    scores, ref = model.guidance.forward_with_embedding(src)
    conf = (10.0 * scores).softmax(dim=1).max(dim=1).values
    mask = {'confident': conf >= 0.5, 'classes': gt == 1,
            'all': torch.ones_like(conf, dtype=torch.bool)}[mask_mode]
    dist = torch.norm(feat - F.normalize(ref, dim=1), dim=1)
    return 0.005 * dist[mask].mean(), mask.float().mean()


# ---------------------------------------------------------------- off = plain DACS
@pytest.mark.parametrize('extra', [dict(), dict(feature_distance=dict(classes=None)),
                                   dict(mic=dict(block_size=4, color_augment=False))])
def test_every_vl_part_off_reproduces_plain_dacs_bit_for_bit(extra):
    set_progress(10, 100)
    plain_losses, plain_grads = step(dacs(strong_transform=dict(
        type='DACSStrongTransform'), **extra))
    # A guidance model in the config without any term is not built: the same model.
    off = dacs(strong_transform=dict(type='DACSStrongTransform'), guidance=GUIDANCE,
               clip_guidance=None, vl_feature_distance=None, **extra)
    assert 'guidance' not in off.frozen_names
    off_losses, off_grads = step(off)
    assert_bitwise(plain_losses, off_losses)
    assert_bitwise(plain_grads, off_grads)


def test_guidance_on_leaves_the_dacs_terms_and_random_draws_unchanged():
    # The guidance draws no random numbers and is built outside the global random
    # state, so the DACS terms of a guided run equal the plain run's (a paired benchmark).
    set_progress(10, 100)
    plain, _ = step(dacs(strong_transform=dict(type='DACSStrongTransform')))
    guided, _ = step(dacs(strong_transform=dict(type='DACSStrongTransform'),
                          guidance=GUIDANCE, clip_guidance=GUIDE))
    for key in plain:
        assert torch.equal(plain[key], guided[key]), key
    assert set(guided) - set(plain) == {'unsup.loss_guidance', 'unsup.guidance_coverage',
                                        'unsup.lambda_guidance'}


# ---------------------------------------------------------------- the guidance term
@pytest.mark.parametrize('source_pixels', ['ignore', 'ground_truth'])
def test_guidance_loss_coverage_and_lambda_by_hand(source_pixels):
    set_progress(25, 100)  # lambda_t = 0.1 * (1 - 0.25)
    model = dacs(guidance=GUIDANCE, clip_guidance=dict(GUIDE, source_pixels=source_pixels))
    assert 'frozen.guidance' in model.parts()
    assert not any(k.startswith('guidance.') for k in model.state_dict())
    check_guidance_step(model, source_pixels)


def check_guidance_step(model, source_pixels, lam=0.075):
    """One seeded step of ``model``: its guidance loss, coverage and lambda_t equal the
    hand computation (at the progress set by the caller). Returns the step's losses."""
    inputs, samples = uda_batch()
    torch.manual_seed(11)
    losses = model.loss(inputs, samples)
    expected, keep, conf = hand_guidance_loss(model, inputs, samples, source_pixels, lam)
    assert keep.any()
    torch.testing.assert_close(losses['unsup.loss_guidance'], expected)
    torch.testing.assert_close(losses['unsup.guidance_coverage'], (conf >= 0.5).float().mean())
    assert losses['unsup.lambda_guidance'].item() == pytest.approx(lam)
    return losses


def test_guidance_needs_a_model_and_a_known_source_pixel_rule():
    with pytest.raises(ValueError, match='frozen dense CLIP'):
        dacs(clip_guidance=GUIDE)
    with pytest.raises(ValueError, match='source_pixels'):
        dacs(guidance=GUIDANCE, clip_guidance=dict(GUIDE, source_pixels='teacher'))


def test_guidance_defaults_are_semivls():
    part = DenseCLIPGuidance()
    assert (part.weight, part.schedule, part.threshold) == (0.1, 'linear', 0.9)
    assert part.loss_fn.normalizer == 'all' and part.crop_size is None
    for iteration, expected in [(0, 0.1), (50, 0.05), (100, 0.0)]:
        set_progress(iteration, 100)
        assert part.current_weight() == pytest.approx(expected)


def test_guidance_value_of_a_two_pixel_image_by_hand():
    set_progress(0, 0)  # no run: lambda_0
    part = DenseCLIPGuidance(weight=0.5, temperature=1.0, threshold=None)
    scores = torch.tensor([[[[2.0, 0.0]], [[0.0, 0.0]]]])  # (1, 2 classes, 1, 2)
    conf, label = part.targets_from_scores(scores)
    p = torch.tensor(2.0).exp() / (torch.tensor(2.0).exp() + 1)
    torch.testing.assert_close(conf, torch.tensor([[[p, 0.5]]]))
    assert label.tolist() == [[[0, 0]]]
    logits = torch.tensor([[[[1.0, 3.0]], [[0.0, 0.0]]]])
    # pixel 0 confident (p = 0.88 >= 0.9? no) -> neither pixel reaches zeta 0.9
    assert part.loss(logits, label, conf).item() == 0.0
    part = DenseCLIPGuidance(weight=0.5, temperature=2.0)  # p = e^4 / (e^4 + 1) = 0.982
    conf, label = part.targets_from_scores(scores)
    ce0 = -F.log_softmax(torch.tensor([1.0, 0.0]), dim=0)[0]
    expected = 0.5 * ce0 / 2  # one confident pixel over all 2 pixels
    torch.testing.assert_close(part.loss(logits, label, conf, factor=1.0), expected)
    stats = part.statistics(conf, torch.ones_like(conf, dtype=torch.bool))
    assert stats['guidance_coverage'].item() == 0.5
    assert stats['lambda_guidance'].item() == pytest.approx(0.5)


def test_guidance_tiling_averages_windows_and_equals_a_whole_pass_for_a_pointwise_clip():
    clip = ToyDenseCLIP()
    x = torch.randn(1, 3, 10, 14)
    whole = DenseCLIPGuidance().scores(clip, x)
    tiled = DenseCLIPGuidance(crop_size=(6, 8), stride=(4, 3)).scores(clip, x)
    torch.testing.assert_close(tiled, whole)  # per-pixel model: windows agree
    counted = []

    class Counting(nn.Module):

        def forward(self, img):
            counted.append(tuple(img.shape[-2:]))
            return torch.ones(1, 2, 1, 1) * len(counted)

    out = DenseCLIPGuidance(crop_size=(6, 8), stride=(4, 3)).scores(Counting(), x)
    # rows 0, 4 (last window 4..10), cols 0, 3, 6 (last 6..14): 6 windows of 6 x 8
    assert counted == [(6, 8)] * 6
    assert out[0, 0, 0, 0].item() == 1.0 and out[0, 0, 9, 13].item() == 6.0
    assert out[0, 0, 5, 7].item() == pytest.approx(3.5)  # in all 6 windows
    assert out[0, 0, 5, 4].item() == pytest.approx((1 + 2 + 4 + 5) / 4)  # cols 0..8, 3..11


def test_guidance_renormalises_student_images_to_clip_statistics():
    part = DenseCLIPGuidance(mean=(10.0, 20.0, 30.0), std=(2.0, 2.0, 2.0))
    raw = torch.rand(1, 3, 2, 2) * 255
    m_in, s_in = torch.tensor([1.0, 2.0, 3.0]), torch.tensor([4.0, 5.0, 6.0])
    x = (raw - m_in.view(3, 1, 1)) / s_in.view(3, 1, 1)
    expected = (raw - torch.tensor([10.0, 20.0, 30.0]).view(3, 1, 1)) / 2.0
    torch.testing.assert_close(part.renormalize(x, m_in, s_in), expected)
    same = DenseCLIPGuidance(mean=(1.0, 2.0, 3.0), std=(4.0, 5.0, 6.0))
    assert same.renormalize(x, m_in, s_in) is x


# ---------------------------------------------------------------- VL feature distance
@pytest.mark.parametrize('mask_mode', ['confident', 'classes', 'all'])
def test_vl_feature_distance_by_hand(mask_mode):
    set_progress(0, 10)
    model = dacs(guidance=GUIDANCE, vl_feature_distance=dict(
        mask=mask_mode, classes=(1, ), min_ratio=0.0, guidance=dict(GUIDE)))
    assert model.with_clip_guidance is False
    inputs, samples = uda_batch()
    torch.manual_seed(11)
    losses = model.loss(inputs, samples)
    assert 'unsup.loss_guidance' not in losses
    expected, share = hand_vl_feature_distance(model, inputs, samples, mask_mode)
    torch.testing.assert_close(losses['sup.loss_vl_fd'], expected)
    torch.testing.assert_close(losses['sup.vl_fd_share'], share)
    # The supervised CE is unchanged by the two-step extract_feat.
    plain = dacs()
    torch.manual_seed(11)
    ref_losses = plain.loss(inputs, samples)
    assert torch.equal(losses['sup.decode.loss_ce'], ref_losses['sup.decode.loss_ce'])
    losses['sup.loss_vl_fd'].backward()
    assert model.student.backbone.conv.weight.grad is not None
    assert all(p.grad is None for p in model.guidance.parameters())


def test_vl_feature_distance_refuses_a_non_clip_width():
    fd = VisionLanguageFeatureDistance()
    with pytest.raises(ValueError, match='channels'):
        fd(torch.zeros(1, 4, 2, 2), torch.zeros(1, 8, 2, 2), torch.ones(1, 2, 2).bool())


def test_all_parts_together_train_and_share_one_guidance_model():
    set_progress(3, 10)
    model = dacs(guidance=GUIDANCE, clip_guidance=GUIDE, vl_feature_distance=dict(),
                 feature_distance=dict(classes=None), strong_transform=NO_AUG)
    losses, grads = step(model)
    assert {'sup.loss_fd', 'sup.loss_vl_fd', 'unsup.loss_guidance'} <= set(losses)
    assert [n for n in model.frozen_names] == ['imnet_model', 'guidance']
    assert all(torch.isfinite(g).all() for g in grads.values())
    with pytest.raises(ValueError, match='only for runs without'):
        dacs(guidance=GUIDANCE, clip_guidance=GUIDE,
             vl_feature_distance=dict(guidance=dict(GUIDE)))


def test_a_subclass_that_replaces_the_steps_refuses_the_vl_parts():
    from mmseg_semivl.models.segmentors.dacs import DACS

    class OwnStep(DACS):

        def loss_unsupervised(self, views, size):
            return {}

    with pytest.raises(NotImplementedError, match='do not call them'):
        OwnStep(student=dict(
            type='EncoderDecoder', backbone=dict(type='ToyBackbone'),
            decode_head=dict(type='ToyHead')), guidance=GUIDANCE, clip_guidance=GUIDE,
            strong_transform=NO_AUG)
