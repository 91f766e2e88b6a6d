"""AdvSeg / AdvEnt / MinEnt: loss terms, gradient isolation and the two-optimizer step."""
import copy

import pytest
import torch
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmseg.registry import OPTIM_WRAPPER_CONSTRUCTORS

import mmseg_semivl  # noqa: F401
from mmseg_semivl.models.utils import self_information

from adv_helpers import NUM_CLASSES, SIZE, build, raw_batch, uda_batch


def _optim(model, seg_lr=0.1, disc_lr=0.2, seg_type='OptimWrapper', disc_type='OptimWrapper',
           **seg_extra):
    constructor = OPTIM_WRAPPER_CONSTRUCTORS.build(dict(
        type='SubmoduleOptimWrapperConstructor',
        optim_wrapper_cfg=dict(
            segmentor=dict(module='student', type=seg_type,
                           optimizer=dict(type='SGD', lr=seg_lr), **seg_extra),
            discriminator=dict(module='discriminators', type=disc_type,
                               optimizer=dict(type='SGD', lr=disc_lr)))))
    return constructor(model)


def _grads(loss, params):
    grads = torch.autograd.grad(loss, params, allow_unused=True, retain_graph=True)
    return [torch.zeros_like(p) if g is None else g for g, p in zip(grads, params)]


@pytest.mark.parametrize('kind', ['AdvSeg', 'AdvEnt'])
def test_loss_terms_and_levels(kind):
    model = build(kind)
    assert model.levels == ('main', 'aux') and set(model.discriminators) == {'main', 'aux'}
    assert model.discriminators['main'].in_channels == NUM_CLASSES
    inputs, samples = uda_batch()
    losses, maps = model.loss_segmentor(inputs, samples)
    assert {'sup.decode.loss_ce', 'sup.aux.loss_ce', 'adv.loss_main',
            'adv.loss_aux'} <= set(losses)
    assert maps['target']['main'].shape == (2, NUM_CLASSES, SIZE, SIZE)
    # The maps are softmax (AdvSeg) or self-information of the upsampled logits.
    logits = model._upsample(model.level_logits(inputs['weak'])['main'], (SIZE, SIZE))
    prob = logits.softmax(1)
    expected = prob if kind == 'AdvSeg' else self_information(prob)
    assert torch.allclose(maps['target']['main'], expected, atol=1e-6)
    # adv = lambda x GAN(D(target map), SOURCE label 0).
    d_out = model.discriminators['aux'](maps['target']['aux'])
    bce = torch.nn.functional.binary_cross_entropy_with_logits(d_out, torch.zeros_like(d_out))
    assert losses['adv.loss_aux'].item() == pytest.approx(0.0002 * bce.item(), rel=1e-5)


def test_minent_has_no_discriminator_and_entropy_terms():
    model = build('MinEnt')
    assert model.discriminators is None and not model.adversarial
    inputs, samples = uda_batch()
    losses = model.loss(inputs, samples)
    assert {'ent.loss_main', 'ent.loss_aux'} <= set(losses) and not any(
        k.startswith('adv.') for k in losses)
    logits = model._upsample(model.level_logits(inputs['weak'])['main'], (SIZE, SIZE))
    entropy = self_information(logits.softmax(1)).sum(1).mean()
    assert losses['ent.loss_main'].item() == pytest.approx(0.001 * entropy.item(), rel=1e-5)


def test_no_aux_head_means_main_level_only():
    model = build('AdvSeg', aux=False)
    assert model.levels == ('main', ) and set(model.discriminators) == {'main'}
    with pytest.raises(ValueError, match="level 'aux' needs"):
        build('AdvSeg', aux=False, levels=('main', 'aux'))


def test_adversarial_term_gives_no_gradient_to_discriminators_and_vice_versa():
    model = build('AdvEnt')
    inputs, samples = uda_batch()
    losses, maps = model.loss_segmentor(inputs, samples)
    adv = losses['adv.loss_main'] + losses['adv.loss_aux']
    disc_params = list(model.discriminators.parameters())
    seg_params = [p for p in model.student.parameters() if p.requires_grad]
    assert all(p.requires_grad for p in disc_params)  # restored after the frozen pass
    adv.backward(retain_graph=True)
    assert all(p.grad is None for p in disc_params)
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in seg_params)
    model.zero_grad(set_to_none=True)
    disc = model.loss_discriminators(maps)
    assert set(disc) == {'disc.loss_main_source', 'disc.loss_main_target', 'disc.acc_main',
                         'disc.loss_aux_source', 'disc.loss_aux_target', 'disc.acc_aux'}
    sum(v for k, v in disc.items() if 'loss' in k).backward()
    assert all(p.grad is None for p in seg_params)
    assert all(p.grad is not None for p in disc_params)


@pytest.mark.parametrize('kind', ['AdvSeg', 'AdvEnt'])
def test_train_step_updates_each_part_by_its_own_loss(kind, hub):
    """One real step (SGD, lr 0.1 / 0.2) equals the hand-computed two-optimizer update."""
    model = build(kind)
    reference = copy.deepcopy(model)
    data = raw_batch()
    # Hand computation on the copy: segmentor grads from sup + adv, discriminator grads
    # from the discriminator loss on the predictions before the segmentor's step.
    pre = reference.data_preprocessor(copy.deepcopy(data), True)
    losses, maps = reference.loss_segmentor(pre['inputs'], pre['data_samples'])
    seg_params = [p for p in reference.student.parameters() if p.requires_grad]
    disc_params = list(reference.discriminators.parameters())
    seg_loss = sum(v for k, v in losses.items() if 'loss' in k)
    seg_grads = _grads(seg_loss, seg_params)
    disc = reference.loss_discriminators(maps)
    disc_grads = _grads(sum(v for k, v in disc.items() if 'loss' in k), disc_params)

    log_vars = model.train_step(data, _optim(model))
    assert {'loss', 'disc.loss', 'adv.loss_main', 'disc.loss_main_source',
            'disc.acc_main'} <= set(log_vars)
    assert log_vars['loss'].item() == pytest.approx(seg_loss.item(), rel=1e-5)
    new_seg = [p for p in model.student.parameters() if p.requires_grad]
    for new, old, grad in zip(new_seg, seg_params, seg_grads):
        torch.testing.assert_close(new.detach(), old.detach() - 0.1 * grad, rtol=1e-4,
                                   atol=1e-6)
    for new, old, grad in zip(model.discriminators.parameters(), disc_params, disc_grads):
        torch.testing.assert_close(new.detach(), old.detach() - 0.2 * grad, rtol=1e-4,
                                   atol=1e-6)


def test_gradient_accumulation_steps_both_optimizers_every_second_iteration(hub):
    model = build('AdvSeg')
    optim = _optim(model, accumulative_counts=2)
    optim['discriminator']._accumulative_counts = 2
    optim.initialize_count_status(model, 0, 4)
    disc_before = [p.detach().clone() for p in model.discriminators.parameters()]
    seg_before = [p.detach().clone() for p in model.student.parameters()]
    model.train_step(raw_batch(seed=0), optim)
    assert all(torch.equal(a, b) for a, b in zip(disc_before, model.discriminators.parameters()))
    assert all(torch.equal(a, b) for a, b in zip(seg_before, model.student.parameters()))
    model.train_step(raw_batch(seed=1), optim)
    assert not all(torch.equal(a, b)
                   for a, b in zip(disc_before, model.discriminators.parameters()))
    assert not all(torch.equal(a, b) for a, b in zip(seg_before, model.student.parameters()))


def test_non_finite_segmentor_loss_skips_its_step_only_then_discriminators_too(hub):
    model = build('AdvEnt')
    optim = _optim(model, seg_type='NonFiniteSkipOptimWrapper',
                   disc_type='NonFiniteSkipOptimWrapper')
    with torch.no_grad():
        model.student.decode_head.aspp_modules[0].conv.bias.fill_(float('nan'))
    seg_before = [p.detach().clone() for p in model.student.parameters()]
    disc_before = [p.detach().clone() for p in model.discriminators.parameters()]
    model.train_step(raw_batch(), optim)
    assert all(torch.equal(a, b, ) or torch.isnan(a).any()
               for a, b in zip(seg_before, model.student.parameters()))
    # NaN predictions make the discriminator loss NaN too: both steps are skipped.
    assert all(torch.equal(a, b) for a, b in zip(disc_before, model.discriminators.parameters()))
    assert hub.get_info('skipped_steps') == 2


def test_amp_bf16_step_runs(hub, monkeypatch):
    import mmengine.optim.optimizer.amp_optimizer_wrapper as amp_module
    monkeypatch.setattr(amp_module, 'is_cuda_available', lambda: True)  # CPU autocast
    model = build('AdvEnt')
    optim = _optim(model, seg_type='NonFiniteSkipAmpOptimWrapper',
                   disc_type='NonFiniteSkipAmpOptimWrapper', dtype='bfloat16')
    optim['discriminator'].cast_dtype = torch.bfloat16
    disc_before = [p.detach().clone() for p in model.discriminators.parameters()]
    log_vars = model.train_step(raw_batch(), optim)
    assert torch.isfinite(log_vars['loss']) and torch.isfinite(log_vars['disc.loss'])
    assert not all(torch.equal(a, b)
                   for a, b in zip(disc_before, model.discriminators.parameters()))


def test_one_optimizer_is_refused_with_one_line(hub):
    model = build('AdvSeg')
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    with pytest.raises(TypeError, match="OptimWrapperDict with keys 'segmentor' and "):
        model.train_step(raw_batch(), wrapper)
    with pytest.raises(KeyError, match=r"lacks \['discriminator'\]"):
        model.train_step(raw_batch(), OptimWrapperDict(segmentor=wrapper))


def test_minent_trains_with_one_plain_optimizer(hub):
    model = build('MinEnt')
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    log_vars = model.train_step(raw_batch(), wrapper)
    assert 'ent.loss_main' in log_vars and 'disc.loss' not in log_vars


def test_constructor_checks_coverage():
    model = build('AdvSeg')
    constructor = OPTIM_WRAPPER_CONSTRUCTORS.build(dict(
        type='SubmoduleOptimWrapperConstructor',
        optim_wrapper_cfg=dict(segmentor=dict(module='student',
                                              optimizer=dict(type='SGD', lr=0.1)))))
    with pytest.raises(ValueError, match='trainable parameters are in no optimizer'):
        constructor(model)
    constructor = OPTIM_WRAPPER_CONSTRUCTORS.build(dict(
        type='SubmoduleOptimWrapperConstructor',
        optim_wrapper_cfg=dict(segmentor=dict(module='teacher',
                                              optimizer=dict(type='SGD', lr=0.1)))))
    with pytest.raises(KeyError, match="no submodule 'teacher'"):
        constructor(model)


def test_checkpoint_keys_hold_discriminators():
    model = build('AdvEnt')
    keys = model.state_dict().keys()
    assert any(k.startswith('discriminators.main.') for k in keys)
    assert any(k.startswith('student.') for k in keys)
    other = build('AdvEnt', seed=1)
    other.load_state_dict(model.state_dict())
    assert torch.equal(other.discriminators['aux'].layers[0].weight,
                       model.discriminators['aux'].layers[0].weight)


def test_advent_with_lambda_ent_trains_both_terms():
    model = build('AdvEnt', lambda_ent=dict(main=0.001, aux=0.0002))
    losses = model.loss(*uda_batch())
    assert {'adv.loss_main', 'adv.loss_aux', 'ent.loss_main', 'ent.loss_aux'} <= set(losses)


@pytest.mark.parametrize('kwargs,match', [
    (dict(discriminator_input='logits'), 'discriminator_input must be one of'),
    (dict(lambda_adv=dict(main=0.001)), r"lambda_adv has no weight for the levels \['aux'\]"),
    (dict(lambda_adv=None), 'a discriminator needs lambda_adv'),
    (dict(levels=('main', 'mid')), 'levels must be among'),
    (dict(disc_weights=dict(source=0.5)), 'disc_weights needs the keys source and target'),
    (dict(optim_keys=dict(segmentor='seg')), 'optim_keys needs the keys'),
])
def test_one_line_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        build('AdvSeg', **kwargs)
    with pytest.raises(ValueError, match='without discriminators set lambda_ent'):
        build('MinEnt', lambda_ent=None)


def test_frozen_parameters_restores_flags_after_an_error():
    from mmseg_semivl.models.segmentors.adversarial import frozen_parameters
    module = torch.nn.Linear(2, 2)
    module.bias.requires_grad_(False)
    with pytest.raises(RuntimeError):
        with frozen_parameters(module):
            assert not module.weight.requires_grad
            raise RuntimeError('boom')
    assert module.weight.requires_grad and not module.bias.requires_grad


def test_plain_tensor_batch_trains_source_only():
    model = build('AdvSeg')
    inputs, samples = uda_batch()
    losses, maps = model.loss_segmentor(inputs['labeled'], samples['labeled'])
    assert maps == {} and set(losses) == {'sup.decode.loss_ce', 'sup.decode.acc_seg',
                                          'sup.aux.loss_ce', 'sup.aux.acc_seg'}


def test_prediction_is_the_students():
    model = build('AdvEnt').eval()
    inputs, samples = uda_batch(num_source=1, num_target=1)
    for sample in samples['unlabeled']:
        sample.set_metainfo(dict(ori_shape=(SIZE, SIZE)))
    with torch.no_grad():
        preds = model.predict(inputs['weak'], samples['unlabeled'])
        logits = model.student.encode_decode(inputs['weak'], [s.metainfo for s in
                                                              samples['unlabeled']])
    assert preds[0].pred_sem_seg.data.shape == (1, SIZE, SIZE)
    assert torch.equal(preds[0].pred_sem_seg.data[0], logits[0].argmax(0))
