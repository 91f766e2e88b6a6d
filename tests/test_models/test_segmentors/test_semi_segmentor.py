"""SemiSupervisedSegmentor (SemiVL): the training step's terms, weights, schedule and switches."""
import pytest
import torch
import torch.nn.functional as F

from semi_batch import CROP, build, losses_of, make_batch, set_progress


def test_full_step_terms_are_finite_and_named(model_cfg):
    set_progress(0, 10)
    losses = losses_of(build(model_cfg))
    expected = {'sup.decode.loss_ce', 'sup.decode.acc_seg'} | {
        f'unsup.{k}' for k in ('loss_s1', 'loss_s2', 'loss_fp', 'loss_guidance_s1',
                               'loss_guidance_s2', 'loss_guidance_fp', 'confident_ratio',
                               'guidance_coverage', 'lambda_guidance')}
    assert set(losses) == expected
    assert all(torch.isfinite(v).all() for v in losses.values())
    assert losses['unsup.lambda_guidance'].item() == pytest.approx(0.1)


def test_weights_scale_each_term_as_in_the_paper(model_cfg):
    set_progress(0, 10)
    # Thresholds of 0 make every pixel confident, so the terms are not all zero.
    zero = dict(loss_consistency=dict(type='ConfidenceMaskedCrossEntropy', threshold=0.0),
                loss_guidance=dict(type='ConfidenceMaskedCrossEntropy', threshold=0.0,
                                   normalizer='all'))
    paper = losses_of(build(model_cfg, **zero))
    unit = losses_of(build(model_cfg, sup_weight=1.0, unsup_weight=1.0,
                           view_weights=(1.0, 1.0, 1.0), guidance_weight=1.0, **zero))
    # (CE + 0.25 L_s1 + 0.25 L_s2 + 0.5 L_fp) / 2 + 0.1 (0.25 M_s1 + 0.25 M_s2 + 0.5 M_fp)
    for key, factor in [('sup.decode.loss_ce', 0.5), ('unsup.loss_s1', 0.125),
                        ('unsup.loss_s2', 0.125), ('unsup.loss_fp', 0.25),
                        ('unsup.loss_guidance_s1', 0.025), ('unsup.loss_guidance_s2', 0.025),
                        ('unsup.loss_guidance_fp', 0.05)]:
        assert unit[key].item() > 0, key
        assert paper[key].item() == pytest.approx(factor * unit[key].item(), rel=1e-4), key


def test_guidance_weight_decays_linearly_with_the_runner_iteration(model_cfg):
    model = build(model_cfg)
    for iteration, expected in [(0, 0.1), (25, 0.075), (100, 0.0)]:
        set_progress(iteration, 100)
        assert model.current_guidance_weight() == pytest.approx(expected)
    constant = build(model_cfg, guidance_schedule='constant')
    assert constant.current_guidance_weight() == pytest.approx(0.1)


def test_guidance_targets_follow_dense_clip_and_ignore_padding(model_cfg):
    model = build(model_cfg)
    inputs, samples = make_batch()
    valid = torch.stack([s.valid_mask.data[0] for s in samples['unlabeled']]).bool()
    conf, label = model._guidance_targets(inputs['weak'], valid)
    scores = F.interpolate(model.guidance(inputs['weak']), size=(CROP, CROP), mode='bilinear',
                           align_corners=False)
    prob = (100 * scores).softmax(dim=1)
    torch.testing.assert_close(conf, prob.max(dim=1).values)
    assert torch.equal(label[valid], prob.argmax(dim=1)[valid])
    assert (label[~valid] == 255).all()


def test_no_confident_pixel_gives_zero_terms(model_cfg):
    set_progress(0, 10)
    model = build(model_cfg, loss_consistency=dict(type='ConfidenceMaskedCrossEntropy',
                                                   threshold=1.0 + 0.0))
    losses = losses_of(model)
    for view in ('s1', 's2', 'fp'):
        assert losses[f'unsup.loss_{view}'].item() == 0.0
    assert losses['unsup.confident_ratio'].item() == 0.0


def test_switches_give_the_ablation_rows(model_cfg):
    set_progress(0, 10)
    sup_only = losses_of(build(model_cfg, use_consistency=False))
    assert set(sup_only) == {'sup.decode.loss_ce', 'sup.decode.acc_seg'}
    no_guidance = losses_of(build(model_cfg, guidance=None))
    assert not any('guidance' in k for k in no_guidance)
    assert 'unsup.loss_s1' in no_guidance
    no_fp = losses_of(build(model_cfg, use_feature_perturbation=False))
    assert 'unsup.loss_fp' not in no_fp and 'unsup.loss_guidance_fp' not in no_fp


def test_one_unlabeled_image_per_process(model_cfg):
    set_progress(0, 10)
    model = build(model_cfg)
    first = losses_of(model, num_labeled=1, num_unlabeled=1)
    second = losses_of(model, seed=1, num_labeled=1, num_unlabeled=1)
    assert all(torch.isfinite(v).all() for v in (*first.values(), *second.values()))


def test_backward_reaches_only_trainable_parameters(model_cfg):
    set_progress(0, 10)
    model = build(model_cfg)
    losses = losses_of(model)
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    for name, param in model.named_parameters():
        if not param.requires_grad:
            assert param.grad is None, name
    trainable = [p for p in model.backbone.parameters() if p.requires_grad]
    assert trainable and all(p.grad is not None for p in trainable)
    assert all(p.grad is None for p in model.guidance.parameters())
    assert any(p.grad is not None and p.grad.abs().sum() > 0
               for p in model.decode_head.parameters())


def test_guidance_is_not_saved_but_loads_strictly(model_cfg):
    model = build(model_cfg)
    state = model.state_dict()
    assert not any(k.startswith('guidance.') for k in state)
    assert model.frozen_names == ('guidance', )
    fresh = build(model_cfg)
    fresh.load_state_dict(state, strict=True)
