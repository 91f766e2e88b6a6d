"""The teacher-student SemiSupervisedSegmentor reproduces d7e803a's numbers exactly.

data/d7e803a_reference.json holds what the segmentor before the redesign computed on the
same seeded tiny model and batch (data/capture_d7e803a.py): every loss term and statistic,
the gradient mass of encoder and decoder, and its flat state-dict layout.
"""
import copy
import json
import os

import pytest
import torch
from mmseg.registry import MODELS

from semi_batch import build, losses_of, set_progress

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, 'data', 'd7e803a_reference.json')) as f:
    REFERENCE = json.load(f)

UNIMATCH_HEAD = dict(type='DeepLabV3PlusViTHead', in_channels=64, in_index=2,
                     skip_in_channels=64, c1_index=1, channels=16, c1_in_channels=16,
                     c1_channels=8, dilations=(1, 2), num_classes=21, align_corners=False,
                     norm_cfg=dict(type='BN', requires_grad=True),
                     loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False,
                                      loss_weight=1.0, avg_non_ignore=True))
ZERO_CONSISTENCY = dict(type='ConfidenceMaskedCrossEntropy', threshold=0.0)
CASES = {
    'semivl': ({}, {}),
    'semivl_zero_thresholds': (dict(
        loss_consistency=ZERO_CONSISTENCY,
        loss_guidance=dict(type='ConfidenceMaskedCrossEntropy', threshold=0.0,
                           normalizer='all')), {}),
    'semivl_one_unlabeled': ({}, dict(num_labeled=1, num_unlabeled=1)),
    'semivl_no_fp': (dict(use_feature_perturbation=False), {}),
    'semivl_sup_only': (dict(use_consistency=False), {}),
    'unimatch': (dict(guidance=None, decode_head=UNIMATCH_HEAD), {}),
    'unimatch_zero_thresholds': (dict(guidance=None, decode_head=UNIMATCH_HEAD,
                                      loss_consistency=ZERO_CONSISTENCY), {}),
}


def new_name(old: str) -> str:
    """d7e803a's flat loss names -> the sup./unsup. namespaces."""
    return 'sup.' + old if old.startswith('decode.') else 'unsup.' + old


def build_case(model_cfg, name):
    over = copy.deepcopy(CASES[name][0])
    cfg = copy.deepcopy(model_cfg)
    if 'decode_head' in over:
        cfg.decode_head = over.pop('decode_head')
    return build(cfg, **over)


def flat_state(model):
    """The state dict in d7e803a's flat layout (student keys without 'student.')."""
    return {k[len('student.'):]: v for k, v in model.state_dict().items()}


@pytest.mark.parametrize('name', sorted(CASES))
def test_loss_terms_equal_d7e803a(model_cfg, name):
    set_progress(3, 10)
    model = build_case(model_cfg, name)
    model.train()
    batch = CASES[name][1]
    losses = losses_of(model, seed=1, **batch)
    if name == 'semivl_one_unlabeled':  # the partner is the previous iteration's image
        losses = losses_of(model, seed=2, **batch)
    expected = {new_name(k): v for k, v in REFERENCE['losses'][name].items()}
    assert set(losses) == set(expected)
    for key, value in expected.items():
        assert losses[key].item() == pytest.approx(value, abs=1e-6), key
    if name in REFERENCE.get('grad_abs_sum', {}):
        sum(v for k, v in losses.items() if 'loss' in k).backward()
        for part, value in REFERENCE['grad_abs_sum'][name].items():
            grads = [p.grad for p in getattr(model, part).parameters() if p.grad is not None]
            assert float(sum(g.double().abs().sum() for g in grads)) == pytest.approx(
                value, rel=1e-6), part


@pytest.mark.parametrize('name', ['semivl', 'unimatch'])
def test_same_weights_trainable_parameters_and_layout_as_d7e803a(model_cfg, name):
    set_progress(3, 10)
    model = build_case(model_cfg, name)
    model.train()
    losses_of(model, seed=1)  # captured after one step: BN statistics count too
    state = flat_state(model)
    reference = REFERENCE['state_dict'][name]
    assert set(state) == set(reference)
    for key, (shape, total) in reference.items():
        assert list(state[key].shape) == shape, key
        assert float(state[key].double().sum()) == pytest.approx(total, rel=1e-9, abs=1e-9), key
    trainable = [n[len('student.'):] for n, p in model.named_parameters() if p.requires_grad]
    assert trainable == REFERENCE['trainable'][name]  # same tensors, same optimizer order


def test_old_layout_state_dict_loads_and_reproduces_the_losses(model_cfg):
    """A d7e803a checkpoint (flat keys) loads strictly and gives d7e803a's losses."""
    old_layout = flat_state(build_case(model_cfg, 'semivl_zero_thresholds'))
    assert set(old_layout) == set(REFERENCE['state_dict']['semivl'])
    torch.manual_seed(123)  # another initialisation: only the loaded weights may count
    fresh = build_case(model_cfg, 'semivl_zero_thresholds')
    with torch.no_grad():
        for p in fresh.student.decode_head.parameters():
            p.add_(1.0)
    fresh.load_state_dict(old_layout, strict=True)
    set_progress(3, 10)
    fresh.train()
    losses = losses_of(fresh, seed=1)
    for key, value in REFERENCE['losses']['semivl_zero_thresholds'].items():
        assert losses[new_name(key)].item() == pytest.approx(value, abs=1e-6), key


def test_nested_semivl_config_is_the_same_model(model_cfg):
    """SemiVLSegmentor(student=...) equals the flat SemiSupervisedSegmentor config."""
    flat = copy.deepcopy(model_cfg)
    student = dict(type='HeadSyncedEncoderDecoder')
    for key in ('backbone', 'decode_head', 'train_cfg', 'test_cfg'):
        student[key] = flat.pop(key)
    nested = dict(type='SemiVLSegmentor', student=student,
                  semi_train_cfg=dict(sup_weight=flat.pop('sup_weight'),
                                      unsup_weight=flat.pop('unsup_weight')),
                  **{k: v for k, v in flat.items() if k != 'type'})
    set_progress(3, 10)
    torch.manual_seed(0)
    model = MODELS.build(nested)
    assert type(model).__name__ == 'SemiVLSegmentor'
    model.train()
    losses = losses_of(model, seed=1)
    for key, value in REFERENCE['losses']['semivl'].items():
        assert losses[new_name(key)].item() == pytest.approx(value, abs=1e-6), key
