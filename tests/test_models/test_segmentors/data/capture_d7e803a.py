"""How data/d7e803a_reference.json was made: the loss dicts, gradients and state-dict layout
of SemiSupervisedSegmentor at commit d7e803a (before the teacher-student core).

Re-create: check out d7e803a, copy this file to tests/test_models/test_segmentors/_capture_test.py
and run it with pytest (it uses the helpers of that commit's test_semi_segmentor.py).
"""
import json, copy, os
import torch
from test_semi_segmentor import build, losses_of, set_progress, mmseg_scope, model_cfg  # noqa

UNIMATCH_HEAD = dict(type='DeepLabV3PlusViTHead', in_channels=64, in_index=2,
                     skip_in_channels=64, c1_index=1, channels=16, c1_in_channels=16,
                     c1_channels=8, dilations=(1, 2), num_classes=21, align_corners=False,
                     norm_cfg=dict(type='BN', requires_grad=True),
                     loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False,
                                      loss_weight=1.0, avg_non_ignore=True))
CASES = {
    'semivl': ({}, {}),
    'semivl_zero_thresholds': (dict(
        loss_consistency=dict(type='ConfidenceMaskedCrossEntropy', threshold=0.0),
        loss_guidance=dict(type='ConfidenceMaskedCrossEntropy', threshold=0.0,
                           normalizer='all')), {}),
    'semivl_one_unlabeled': ({}, dict(num_labeled=1, num_unlabeled=1)),
    'semivl_no_fp': (dict(use_feature_perturbation=False), {}),
    'semivl_sup_only': (dict(use_consistency=False), {}),
    'unimatch': (dict(guidance=None, decode_head=UNIMATCH_HEAD), {}),
    'unimatch_zero_thresholds': (dict(
        guidance=None, decode_head=UNIMATCH_HEAD,
        loss_consistency=dict(type='ConfidenceMaskedCrossEntropy', threshold=0.0)), {}),
}


def test_capture(model_cfg):
    out = {'losses': {}, 'state_dict': {}}
    for name, (over, batch) in CASES.items():
        set_progress(3, 10)
        over = copy.deepcopy(over)
        cfg = copy.deepcopy(model_cfg)
        if 'decode_head' in over:
            cfg.decode_head = over.pop('decode_head')
        model = build(cfg, **over)
        model.train()
        losses = losses_of(model, seed=1, **batch)
        if name == 'semivl_one_unlabeled':  # second call: previous-iteration partner
            losses = losses_of(model, seed=2, **batch)
        out['losses'][name] = {k: v.item() for k, v in losses.items()}
        if name.endswith('zero_thresholds'):
            sum(v for k, v in losses.items() if 'loss' in k).backward()
            out.setdefault('grad_abs_sum', {})[name] = {
                part: float(sum(p.grad.double().abs().sum() for p in getattr(model, part).parameters()
                                if p.grad is not None))
                for part in ('backbone', 'decode_head')}
        if name in ('semivl', 'unimatch'):
            state = model.state_dict()
            out['state_dict'][name] = {k: [list(v.shape), float(v.double().sum())]
                                       for k, v in state.items()}
            out.setdefault('trainable', {})[name] = [
                n for n, p in model.named_parameters() if p.requires_grad]
    path = os.path.join(os.path.dirname(__file__), 'data', 'd7e803a_reference.json')
    with open(path, 'w') as f:
        json.dump(out, f, indent=1, sort_keys=True)
