"""DUDA on toy modules: stages, which networks each loss reaches, the EMA pair, the
inconsistency buffer, the teachers and prediction, against hand computations."""
from types import SimpleNamespace

import pytest
import torch
from mmengine.logging import MessageHub
from mmseg.registry import MODELS

from mmseg_semivl.engine.hooks import EMATeacherHook
from mmseg_semivl.models.utils.distillation import class_weights_from_rates
from test_dacs import NO_AUG, uda_batch
from toy_modules import build_seeded, NUM_CLASSES, toy_student

PRE = 3


def duda(**kwargs):
    cfg = dict(type='DUDA', student=toy_student(), heavy=toy_student(),
               heavy_method=dict(strong_transform=NO_AUG, pseudo_threshold=0.01),
               pre_adapt_iters=PRE, distillation=dict(schedule=dict(ramp_iters=4)),
               data_preprocessor=dict(type='SemiSegDataPreProcessor'))
    return build_seeded(cfg, **kwargs)


@pytest.fixture
def at_iter():
    hub = MessageHub.get_current_instance()
    old = hub.get_info('iter', 0)

    def set_iter(it):
        hub.update_info('iter', it)

    yield set_iter
    hub.update_info('iter', old)


def enc(model, x):
    """Logits at the input's size (MMSeg's encode_decode)."""
    return model.encode_decode(x, [dict(img_shape=tuple(x.shape[-2:]))] * x.shape[0])


def light_terms(losses):
    return {k for k in losses if k.startswith('unsup.loss')}


def test_stage_follows_the_runner_iteration(at_iter):
    model = duda()
    inputs, samples = uda_batch()
    seen = {}
    for it in (0, PRE - 1, PRE, PRE + 2, PRE + 10):
        at_iter(it)
        losses = model.loss(inputs, samples)
        seen[it] = (light_terms(losses), losses['unsup.stage'].item(),
                    losses['unsup.soft_share'].item())
    pre_terms = {'unsup.loss_hard'}
    assert seen[0] == (pre_terms, 0.0, 0.0) and seen[PRE - 1] == (pre_terms, 0.0, 0.0)
    # at the switch the soft share starts at 0 and ramps linearly over 4 iterations
    assert seen[PRE] == ({'unsup.loss_hard', 'unsup.loss_inc'}, 1.0, 0.0)
    both = {'unsup.loss_hard', 'unsup.loss_kd', 'unsup.loss_inc'}
    assert seen[PRE + 2] == (both, 1.0, 0.5)
    assert seen[PRE + 10][1:] == (1.0, 1.0)


def test_hard_and_soft_terms_by_hand(at_iter):
    """At s = 0.5: loss_hard = 0.5 CE(light, pseudo-label) x weight; loss_kd = 0.5 KL to
    the mean of the EMA teacher's and the heavy student's softmax (pasted source one-hot)."""
    import torch.nn.functional as F
    model = duda(inconsistency=None)
    inputs, samples = uda_batch()
    at_iter(PRE + 2)
    torch.manual_seed(5)
    losses = model.loss(inputs, samples)
    # replay the step with the same random state
    torch.manual_seed(5)
    _, targets, views = model.heavy.self_training_step(inputs, samples)
    mix = views['mix']
    pred = enc(model.student, mix['mix'])
    ce = F.cross_entropy(pred, mix['label'], reduction='none', ignore_index=255)
    torch.testing.assert_close(losses['unsup.loss_hard'], 0.5 * (ce * mix['weight']).mean())
    with torch.no_grad():
        t = enc(model.heavy.teacher, inputs['weak']).softmax(1)
        model.heavy.student.eval()
        h = enc(model.heavy.student, inputs['weak']).softmax(1)
        model.heavy.student.train()
    q = 0.5 * t + 0.5 * h
    onehot = F.one_hot(mix['label'].clamp(max=NUM_CLASSES - 1), NUM_CLASSES).permute(0, 3, 1, 2)
    onehot = onehot * (mix['label'] != 255).unsqueeze(1)
    q = torch.where(mix['mask'].unsqueeze(1), onehot.float(), q)
    kl = (torch.xlogy(q, q) - q * pred.log_softmax(1)).sum(1)
    torch.testing.assert_close(losses['unsup.loss_kd'], 0.5 * (kl * mix['weight']).mean())
    assert 'unsup.loss_inc' not in losses


def grads_of(model, loss):
    model.zero_grad(set_to_none=True)
    loss.backward(retain_graph=True)
    nets = dict(light=model.student, heavy=model.heavy.student, teacher=model.heavy.teacher)
    return {name: [p.grad is not None and p.grad.abs().sum().item() > 0
                   for p in net.parameters()] for name, net in nets.items()}


@pytest.mark.parametrize('it', [0, PRE + 2])
def test_each_loss_reaches_only_its_network(at_iter, it):
    model = duda()
    inputs, samples = uda_batch()
    at_iter(it)
    losses = model.loss(inputs, samples)
    heavy_keys = [k for k in losses if k.startswith('heavy.') and 'loss' in k]
    light_keys = [k for k in losses if not k.startswith('heavy.') and 'loss' in k]
    assert {'heavy.sup.decode.loss_ce', 'heavy.unsup.loss_mix'} <= set(heavy_keys)
    assert 'sup.decode.loss_ce' in light_keys
    for key in heavy_keys:
        g = grads_of(model, losses[key])
        assert all(g['heavy']) and not any(g['light']) and not any(g['teacher']), key
    for key in light_keys:
        g = grads_of(model, losses[key])
        assert all(g['light']) and not any(g['heavy']) and not any(g['teacher']), key
    assert not any(p.requires_grad for p in model.heavy.teacher.parameters())


def test_ema_hook_averages_the_heavy_student_into_its_teacher(at_iter):
    model = duda()
    inputs, samples = uda_batch()
    with torch.no_grad():
        for p in model.heavy.student.parameters():
            p.add_(1.0)
    teacher0 = {k: v.clone() for k, v in model.heavy.teacher.state_dict().items()}
    heavy = {k: v.clone() for k, v in model.heavy.student.state_dict().items()}
    light = {k: v.clone() for k, v in model.student.state_dict().items()}
    hook = EMATeacherHook(momentum=0.01, warm_up=False)
    hook.after_train_iter(SimpleNamespace(model=model, iter=7), 0)
    for k, v in model.heavy.teacher.state_dict().items():
        torch.testing.assert_close(v, 0.99 * teacher0[k] + 0.01 * heavy[k])
    for k, v in model.student.state_dict().items():  # the light student is no EMA source
        assert torch.equal(v, light[k])
    # before training, the teacher starts as a copy of the heavy student
    hook.before_train(SimpleNamespace(model=model, iter=0))
    for k, v in model.heavy.teacher.state_dict().items():
        assert torch.equal(v, heavy[k])


def test_inconsistency_rates_by_hand_and_in_the_checkpoint(at_iter):
    model = duda(inconsistency=dict(momentum=0.5, initial_rate=1.0))
    pred = torch.zeros(1, NUM_CLASSES, 1, 4)
    pred[0, 0, 0, :] = 1.0  # the light student says class 0 everywhere
    mix = dict(label=torch.tensor([[[0, 1, 1, 2]]]), mask=torch.tensor([[[False, False,
                                                                              False, True]]]),
               weight=torch.ones(1, 1, 4))
    model.update_inconsistency(pred, mix, torch.ones(1, 1, 4, dtype=torch.bool))
    # class 0: 0/1 wrong -> 0.5 x 1 + 0.5 x 0; class 1: 2/2 -> 1; class 2 pasted -> unchanged
    torch.testing.assert_close(model.class_inconsistency, torch.tensor([0.5, 1.0, 1.0]))
    torch.testing.assert_close(model.class_weights(),
                               class_weights_from_rates(torch.tensor([0.5, 1.0, 1.0]), 1.0, 0.05))
    state = model.state_dict()
    assert 'class_inconsistency' in state
    other = duda()
    other.load_state_dict(state, strict=True)
    torch.testing.assert_close(other.class_inconsistency, torch.tensor([0.5, 1.0, 1.0]))


def test_training_updates_the_rates_only_in_train_mode(at_iter):
    model = duda()
    inputs, samples = uda_batch()
    at_iter(0)
    model.loss(inputs, samples)
    assert not torch.equal(model.class_inconsistency, torch.ones(NUM_CLASSES))
    rates = model.class_inconsistency.clone()
    model.eval()
    model.loss(inputs, samples)
    assert torch.equal(model.class_inconsistency, rates)


def test_ablation_switches(at_iter):
    inputs, samples = uda_batch()
    at_iter(PRE)
    # distillation=None: the light student keeps the hard pseudo-labels, no soft term
    losses = duda(distillation=None, inconsistency=None).loss(inputs, samples)
    assert light_terms(losses) == {'unsup.loss_hard'} and losses['unsup.soft_share'] == 0
    # schedule=None: not gradual, the soft target at once
    losses = duda(distillation=dict(schedule=None)).loss(inputs, samples)
    assert losses['unsup.soft_share'] == 1.0 and losses['unsup.loss_hard'].item() == 0.0
    # one teacher: no heavy-student pass
    model = duda(teacher_weights=dict(ema=1.0))
    calls = []
    model.heavy.student.register_forward_pre_hook(lambda *a: calls.append(1))
    at_iter(PRE + 2)
    model.teacher_logits(inputs['weak'], {})
    assert not calls and model.teacher_weights == dict(ema=1.0)
    with pytest.raises(KeyError, match='unknown teachers'):
        duda(teacher_weights=dict(ema=1.0, clip=1.0))


def test_extra_frozen_teacher_is_weighted_renormalised_and_not_saved(tmp_path, at_iter):
    teacher = MODELS.build(toy_student())
    torch.save(dict(state_dict=teacher.state_dict()), tmp_path / 't.pth')
    spec = dict(model=toy_student(), checkpoint=str(tmp_path / 't.pth'), weight=2.0,
                mean=[10.0, 20.0, 30.0], std=[2.0, 2.0, 2.0])
    model = duda(extra_teachers=dict(clip=spec),
                 data_preprocessor=dict(type='SemiSegDataPreProcessor', mean=[0.0, 0.0, 0.0],
                                        std=[1.0, 1.0, 1.0]))
    for k, v in model.clip.state_dict().items():  # the checkpoint was loaded
        assert torch.equal(v, teacher.state_dict()[k])
    assert model.teacher_weights == dict(ema=0.5, heavy=0.5, clip=2.0)
    assert not any(k.startswith('clip.') for k in model.state_dict())
    assert not any(p.requires_grad for p in model.clip.parameters())
    x = torch.randn(2, 3, 16, 16)
    logits = model.teacher_logits(x, {})
    expected = enc(teacher, (x - torch.tensor([10.0, 20.0, 30.0]).view(3, 1, 1)) / 2)
    torch.testing.assert_close(logits['clip'], expected)
    assert set(logits) == {'ema', 'heavy', 'clip'}


def test_predict_is_the_light_students_and_parts_name_all_networks():
    model = duda().eval()
    x = torch.randn(1, 3, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(enc(model, x),
                                   enc(model.student, x))
        assert not torch.allclose(enc(model, x),
                                  enc(model.heavy.student, x))
    parts = model.parts()
    assert parts['student'] is model.student and parts['heavy'] is model.heavy.student
    assert parts['teacher'] is model.heavy.teacher
    keys = set(model.state_dict())
    assert {k.split('.')[0] for k in keys} == {'student', 'heavy', 'class_inconsistency'}
    assert {k.split('.')[1] for k in keys if k.startswith('heavy.')} == {'student', 'teacher'}


def test_benchmarks_split_the_step_by_network():
    from mmseg_semivl.analysis.train_benchmark import components, step_parts
    model = duda()
    assert step_parts(model) == ('data_preprocessor', 'teacher', 'heavy', 'labeled_forward',
                                 'strong_forward', 'backward', 'optimizer_step', 'other')
    assert components(model) == ('encoder_forward', 'decoder_forward', 'teacher_forward',
                                 'heavy_forward', 'backward')
