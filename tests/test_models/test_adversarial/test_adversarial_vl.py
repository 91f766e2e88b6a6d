"""The vision-language parts (issue 21) in the adversarial methods: dense CLIP guidance of
the target prediction and the VL feature distance of the source pass, against hand
computations; every part off = the plain method bit for bit."""
import pytest
import torch
import torch.nn.functional as F

from adv_helpers import NUM_CLASSES, SIZE, build, uda_batch
from model_test_helpers import set_progress

#: Width of the tiny student's last ResNet stage (its "CLIP-aligned" output here).
WIDTH = 64
#: The ResNet's output stride: the toy CLIP scores the same 8 x 8 grid.
STRIDE = 8
GUIDANCE = dict(type='ToyDenseCLIP', channels=WIDTH, num_classes=NUM_CLASSES, stride=STRIDE,
                seed=7, seed_bias=False)
#: No re-normalisation (the test batches are not normalised), T 10, zeta 0.5.
GUIDE = dict(temperature=10.0, mean=None, std=None,
             loss=dict(type='ConfidenceMaskedCrossEntropy', threshold=0.5, normalizer='all'))


def losses_and_grads(model, inputs, samples):
    losses, _ = model.loss_segmentor(inputs, samples)
    total = sum(v for k, v in losses.items() if 'loss' in k)
    total.backward()
    return losses, {n: p.grad.clone() for n, p in model.student.named_parameters()
                    if p.grad is not None}


@pytest.mark.parametrize('kind', ['AdvSeg', 'AdvEnt', 'MinEnt'])
def test_every_vl_part_off_is_the_plain_method_bit_for_bit(kind):
    inputs, samples = uda_batch()
    plain_losses, plain_grads = losses_and_grads(build(kind), inputs, samples)
    off = build(kind, guidance=GUIDANCE)
    assert 'guidance' not in off.frozen_names
    off_losses, off_grads = losses_and_grads(off, inputs, samples)
    assert set(plain_losses) == set(off_losses) and set(plain_grads) == set(off_grads)
    for key in plain_losses:
        assert torch.equal(plain_losses[key], off_losses[key]), key
    for key in plain_grads:
        assert torch.equal(plain_grads[key], off_grads[key]), key


@pytest.mark.parametrize('kind', ['AdvEnt', 'MinEnt'])
def test_guidance_of_the_target_prediction_by_hand(kind):
    set_progress(40, 100)  # lambda_t = 0.1 * (1 - 0.4)
    inputs, samples = uda_batch()
    plain_losses, _ = build(kind).loss_segmentor(inputs, samples)
    model = build(kind, guidance=GUIDANCE, clip_guidance=GUIDE)
    assert 'frozen.guidance' in model.parts()
    assert not any(k.startswith('guidance.') for k in model.state_dict())
    losses, _ = model.loss_segmentor(inputs, samples)
    target = inputs['weak']
    scores = F.interpolate(model.guidance(target), size=(SIZE, SIZE), mode='bilinear',
                           align_corners=False)
    conf, label = (10.0 * scores).softmax(dim=1).max(dim=1)
    pred = F.interpolate(model.level_logits(target)['main'], size=(SIZE, SIZE),
                         mode='bilinear', align_corners=False)
    ce = F.cross_entropy(pred, label, reduction='none')
    keep = conf >= 0.5
    assert 0 < keep.float().mean() < 1
    expected = 0.06 * (ce * keep).sum() / ce.numel()
    torch.testing.assert_close(losses['unsup.loss_guidance'], expected)
    torch.testing.assert_close(losses['unsup.guidance_coverage'], keep.float().mean())
    assert losses['unsup.lambda_guidance'].item() == pytest.approx(0.06)
    # The method's own terms are untouched.
    for key in plain_losses:
        assert torch.equal(plain_losses[key], losses[key]), key


def test_vl_feature_distance_of_the_source_pass_by_hand_and_its_gradient():
    set_progress(0, 10)
    inputs, samples = uda_batch()
    model = build('AdvEnt', guidance=GUIDANCE,
                  vl_feature_distance=dict(mask='confident', guidance=dict(GUIDE)))
    assert model.with_clip_guidance is False
    losses, _ = model.loss_segmentor(inputs, samples)
    assert 'unsup.loss_guidance' not in losses
    source = inputs['labeled']
    feat = F.normalize(model.student.backbone(source)[-1], dim=1)
    scores, ref = model.guidance(source, return_embedding=True)
    mask = (10.0 * scores).softmax(dim=1).max(dim=1).values >= 0.5
    assert feat.shape[-2:] == mask.shape[-2:] and mask.any()
    dist = torch.norm(feat - ref, dim=1)
    torch.testing.assert_close(losses['sup.loss_vl_fd'], 0.005 * dist[mask].mean())
    torch.testing.assert_close(losses['sup.vl_fd_share'], mask.float().mean())
    losses['sup.loss_vl_fd'].backward()
    assert model.student.backbone.stem[0].weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in model.guidance.parameters())


def test_a_train_step_logs_the_vl_terms_and_steps_both_optimizers():
    from test_adversarial_step import _optim
    from adv_helpers import raw_batch

    set_progress(1, 10)
    model = build('AdvEnt', guidance=GUIDANCE, clip_guidance=GUIDE,
                  vl_feature_distance=dict())
    optim = _optim(model)
    before = {n: p.detach().clone() for n, p in model.discriminators.named_parameters()}
    log = model.train_step(raw_batch(), optim)
    assert {'unsup.loss_guidance', 'sup.loss_vl_fd', 'unsup.guidance_coverage',
            'disc.loss'} <= set(log)
    assert any(not torch.equal(before[n], p) for n, p in model.discriminators.named_parameters())
