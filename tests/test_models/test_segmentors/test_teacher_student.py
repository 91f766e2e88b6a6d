"""TeacherStudentSegmentor's control flow on toy modules: who labels, what is frozen,
what is saved and loaded, what predicts."""
import pytest
import torch
import torch.nn.functional as F
from mmseg.registry import MODELS

from semi_batch import make_batch
from toy_modules import NUM_CLASSES, toy_segmentor, toy_student

SIZE = 16


def toy_batch(**kwargs):
    return make_batch(num_classes=NUM_CLASSES, size=SIZE, pad=4, **kwargs)


def favour_class(model, cls, margin=50.0):
    """Make ``model`` predict ``cls`` everywhere with confidence ~1."""
    with torch.no_grad():
        model.decode_head.conv_seg.weight.zero_()
        model.decode_head.conv_seg.bias.zero_()
        model.decode_head.conv_seg.bias[cls] = margin


def test_pseudo_labels_come_from_the_teacher_when_there_is_one():
    inputs, _ = toy_batch()
    model = toy_segmentor(teacher='ema')
    favour_class(model.teacher, 2)
    assert (model.pseudo_labels(inputs['weak'])['label'] == 2).all()
    # The student's logits of the same step are ignored once there is a teacher.
    student_logits = model.student.decode_head(model.student.extract_feat(inputs['weak']))
    assert (model.pseudo_labels(inputs['weak'], student_logits)['label'] == 2).all()


def test_without_teacher_pseudo_labels_are_the_students_weak_prediction():
    inputs, _ = toy_batch()
    model = toy_segmentor()
    logits = model.student.decode_head(model.student.extract_feat(inputs['weak']))
    prob = logits.softmax(dim=1)  # the toy head predicts at full resolution
    pseudo = model.pseudo_labels(inputs['weak'])
    assert torch.equal(pseudo['label'], prob.argmax(dim=1))
    torch.testing.assert_close(pseudo['conf'], prob.max(dim=1).values)
    favour_class(model.student, 1)
    assert (model.pseudo_labels(inputs['weak'], logits)['label'] == prob.argmax(dim=1)).all()


def test_generic_step_trains_the_student_on_the_teachers_labels():
    inputs, samples = toy_batch()
    model = toy_segmentor(teacher='ema', mixer=None, semi_train_cfg=dict(unsup_weight=2.0))
    favour_class(model.teacher, 2)
    losses = model.loss(inputs, samples)
    assert set(losses) == {'sup.decode.loss_ce', 'sup.decode.acc_seg', 'unsup.loss_s1',
                           'unsup.loss_s2'}
    valid = torch.stack([s.valid_mask.data[0] for s in samples['unlabeled']]).bool()
    for i in (1, 2):
        logits = model.student.decode_head(model.student.extract_feat(inputs[f'strong{i}']))
        ce = F.cross_entropy(logits, torch.full_like(valid, 2, dtype=torch.long),
                             reduction='none')
        # unsup_weight 2 shared by 2 views; mean over valid pixels (all confident).
        expected = 2.0 / 2 * ce[valid].mean()
        torch.testing.assert_close(losses[f'unsup.loss_s{i}'], expected)
    student_only = model.student.loss(inputs['labeled'], samples['labeled'])
    torch.testing.assert_close(losses['sup.decode.loss_ce'], student_only['decode.loss_ce'])


def test_frozen_models_are_eval_gradient_free_and_absent_from_checkpoints():
    model = toy_segmentor(frozen_models=dict(reference=dict(type='ToyFrozen')))
    assert model.frozen_names == ('reference', ) and 'frozen.reference' in model.parts()
    model.train()
    assert model.student.training and not model.reference.training
    assert not any(m.training for m in model.reference.modules())
    assert not any(p.requires_grad for p in model.reference.parameters())
    state = model.state_dict()
    assert not any(k.startswith('reference.') for k in state)
    assert all(k.startswith('student.') for k in state)
    # Strict loading works without them; the live frozen weights stay.
    before = model.reference.conv.weight.clone()
    model.load_state_dict(state, strict=True)
    assert torch.equal(model.reference.conv.weight, before)


def test_the_frozen_rule_follows_registration_not_the_attribute_name():
    model = toy_segmentor()
    model.add_frozen_model('imnet_model', MODELS.build(dict(type='ToyFrozen')))
    model.add_frozen_model('disabled', None)
    assert model.frozen_names == ('imnet_model', 'disabled')
    assert not any(k.startswith('imnet_model.') for k in model.state_dict())
    for taken in ('student', 'imnet_model', 'decode_head'):
        with pytest.raises(ValueError, match='taken'):
            model.add_frozen_model(taken, None)


def test_ema_teacher_is_a_gradient_free_copy_saved_in_checkpoints():
    model = toy_segmentor(teacher='ema', student=toy_student(drop=0.5))
    model.init_weights()
    for (name, s), (_, t) in zip(model.student.named_parameters(),
                                 model.teacher.named_parameters()):
        assert torch.equal(s, t) and s is not t and not t.requires_grad, name
    model.train()
    # DAFormer: the teacher's dropout is off, the rest follows the train mode.
    assert model.teacher.training and not model.teacher.backbone.drop.training
    assert model.student.backbone.drop.training
    keys = model.state_dict()
    assert {k.split('.')[0] for k in keys} == {'student', 'teacher'}
    frozen_teacher = toy_segmentor(teacher='ema', teacher_mode='eval').train()
    assert not any(m.training for m in frozen_teacher.teacher.modules())


def test_plain_mmseg_checkpoint_loads_into_student_and_teacher():
    torch.manual_seed(3)
    plain = MODELS.build(toy_student())
    model = toy_segmentor(teacher='ema')
    model.load_state_dict(plain.state_dict(), strict=True)
    for part in (model.student, model.teacher):
        for key, value in plain.state_dict().items():
            assert torch.equal(part.state_dict()[key], value), key
    # A student-only checkpoint gives the teacher the student's weights.
    student_only = {'student.' + k: v + 1 for k, v in plain.state_dict().items()}
    model.load_state_dict(student_only, strict=True)
    assert torch.equal(model.teacher.decode_head.conv_seg.bias,
                       plain.decode_head.conv_seg.bias + 1)


def test_prediction_uses_the_configured_network():
    inputs, _ = toy_batch()
    metas = [dict(img_shape=(SIZE, SIZE), ori_shape=(SIZE, SIZE), pad_shape=(SIZE, SIZE))]
    model = toy_segmentor(teacher='ema', semi_test_cfg=dict(predict_on='teacher')).eval()
    favour_class(model.teacher, 1)
    favour_class(model.student, 0)
    assert (model.predict(inputs['weak'][:1])[0].pred_sem_seg.data == 1).all()
    assert (model.encode_decode(inputs['weak'][:1], metas).argmax(1) == 1).all()
    on_student = toy_segmentor(teacher='ema').eval()
    favour_class(on_student.student, 0)
    favour_class(on_student.teacher, 1)
    assert (on_student.predict(inputs['weak'][:1])[0].pred_sem_seg.data == 0).all()
    with pytest.raises(ValueError, match='needs a teacher'):
        toy_segmentor(semi_test_cfg=dict(predict_on='teacher'))
    with pytest.raises(ValueError, match='predict_on'):
        toy_segmentor(teacher='ema', semi_test_cfg=dict(predict_on='ema'))


def test_batch_with_another_number_of_strong_views_is_refused():
    inputs, samples = toy_batch(num_strong_views=3)
    with pytest.raises(KeyError, match=r"num_strong_views=2 .* holds \['strong1', "
                       r"'strong2', 'strong3'\]"):
        toy_segmentor().loss(inputs, samples)
    losses = toy_segmentor(num_strong_views=3).loss(inputs, samples)
    assert {'unsup.loss_s1', 'unsup.loss_s2', 'unsup.loss_s3'} <= set(losses)


def test_plain_batch_trains_the_student_supervised_only():
    inputs, samples = toy_batch()
    model = toy_segmentor()
    losses = model.loss(inputs['labeled'], samples['labeled'])
    assert set(losses) == {'decode.loss_ce', 'decode.acc_seg'}
    only_labeled = model.loss(dict(labeled=inputs['labeled']), dict(labeled=samples['labeled']))
    assert set(only_labeled) == {'sup.decode.loss_ce', 'sup.decode.acc_seg'}


def test_checkpoint_compatibility_is_checked_in_the_loaded_layout():
    from types import SimpleNamespace

    from mmseg_semivl.engine.hooks import CheckpointCompatibilityHook
    from mmseg_semivl.engine.runner.checkpoint_compat import IncompatibleCheckpointError

    model = toy_segmentor(teacher='ema')
    runner = SimpleNamespace(model=model, _load_from='old.pth', _resume=False)
    flat = {'module.' + k: v for k, v in MODELS.build(toy_student()).state_dict().items()}
    CheckpointCompatibilityHook().after_load_checkpoint(runner, dict(state_dict=flat))
    assert all(k.startswith('module.') for k in flat)  # the file's dict is left as it was
    flat['module.decode_head.conv_seg.bias'] = torch.zeros(NUM_CLASSES + 1)
    with pytest.raises(IncompatibleCheckpointError,
                       match=r'student\.decode_head\.conv_seg\.bias: \(4,\) in the file'):
        CheckpointCompatibilityHook().after_load_checkpoint(runner, dict(state_dict=flat))
