"""DIDA on toy modules: both fusion directions pixel by pixel, the mixed instance target,
the instance loss of a step against the hand computation, switches and checkpoints."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS

from mmseg_semivl.models.segmentors.dida import (fuse_instance_into_semantic,
                                                 fuse_semantic_into_instance)
from test_dacs import NO_AUG, gt_of, uda_batch
from toy_modules import build_seeded, CHANNELS, NUM_CLASSES


@MODELS.register_module(force=True)
class ToyFuseHead(BaseDecodeHead):
    """ToyHead with DAFormer's split: ``fuse`` (identity embedding) then the classifier."""

    def __init__(self, **kwargs):
        super().__init__(in_channels=CHANNELS, channels=CHANNELS, num_classes=NUM_CLASSES,
                         dropout_ratio=0.0, **kwargs)

    def fuse(self, inputs):
        return inputs[0]

    def forward(self, inputs):
        return self.cls_seg(self.fuse(inputs))


def dida(**kwargs):
    student = dict(type='EncoderDecoder', backbone=dict(type='ToyBackbone'),
                   decode_head=dict(type='ToyFuseHead'), test_cfg=dict(mode='whole'))
    cfg = dict(type='DIDA', student=student, strong_transform=NO_AUG,
               instance_bank=dict(num_entries=6), pseudo_threshold=0.5,
               data_preprocessor=dict(type='SemiSegDataPreProcessor'))
    return build_seeded(cfg, **kwargs)


# ---------------------------------------------------------------- fusion, by hand
def test_instance_into_semantic_pixel_by_pixel():
    # pixel 0: p = (0.6, 0.4), q = (0.2, 0.8, 0); pixel 1: q = 0 (no filled entry): keeps p
    prob = torch.tensor([[0.6, 0.3], [0.4, 0.7]]).view(1, 2, 1, 2)
    inst = torch.tensor([[0.2, 0.0], [0.8, 0.0], [0.0, 0.0]]).view(1, 3, 1, 2)
    onehot = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])  # entry 2 empty
    smooth = fuse_instance_into_semantic(prob, inst, onehot, 'smooth', alpha=0.5)
    torch.testing.assert_close(smooth[0, :, 0, 0], torch.tensor([0.4, 0.6]))
    torch.testing.assert_close(smooth[0, :, 0, 1], torch.tensor([0.3, 0.7]))
    smooth = fuse_instance_into_semantic(prob, inst, onehot, 'smooth', alpha=0.75)
    torch.testing.assert_close(smooth[0, :, 0, 0], torch.tensor([0.5, 0.5]))
    product = fuse_instance_into_semantic(prob, inst, onehot, 'product')
    torch.testing.assert_close(product[0, :, 0, 0], torch.tensor([0.12 / 0.44, 0.32 / 0.44]))
    torch.testing.assert_close(product[0, :, 0, 1], torch.tensor([0.3, 0.7]))


def test_semantic_into_instance_pixel_by_pixel():
    inst = torch.tensor([[0.2, 0.0], [0.5, 1.0], [0.3, 0.0]]).view(1, 3, 1, 2)
    prob = torch.tensor([[0.6, 1.0], [0.4, 0.0]]).view(1, 2, 1, 2)
    labels = torch.tensor([0, 1, 1])
    out = fuse_semantic_into_instance(inst, prob, labels)
    torch.testing.assert_close(out[0, :, 0, 0], torch.tensor([0.12, 0.2, 0.12]) / 0.44)
    # pixel 1: the only instance mass is on class 1, which has p = 0: q is kept
    torch.testing.assert_close(out[0, :, 0, 1], torch.tensor([0.0, 1.0, 0.0]))


# ---------------------------------------------------------------- the model's steps
def hand_distribution(emb, entries, filled, tp):
    """softmax over filled entries of cos(e, e_k) / tp, written out with exp."""
    e = F.normalize(emb, dim=1)
    k = F.normalize(entries, dim=1)
    logits = torch.einsum('bdhw,kd->bkhw', e, k) / tp
    w = torch.exp(logits) * filled.view(1, -1, 1, 1)
    return w / w.sum(1, keepdim=True)


def filled_model(**kwargs):
    model = dida(**kwargs)
    inputs, samples = uda_batch(seed=3)
    with torch.no_grad():
        emb = model.student.backbone(inputs['labeled'])[0]
    model.instance_bank.update(emb, gt_of(samples))
    assert model.instance_bank.filled.all()  # 2 slots per class, 2 images with every class
    return model, inputs, samples


def test_pseudo_labels_fold_the_teacher_instance_distribution():
    model, inputs, samples = filled_model(semantic_fusion='smooth', fusion_alpha=0.25)
    target = inputs['weak']
    t = model.target_pseudo_labels(target, samples['unlabeled'])
    bank = model.instance_bank
    emb = model.teacher.backbone(target)[0]
    q = hand_distribution(emb, bank.features, bank.filled.float(), 0.1)
    torch.testing.assert_close(t['instance'], q)
    p = model.teacher.decode_head(model.teacher.backbone(target)).softmax(1)
    agg = torch.stack([q[:, bank.labels == c].sum(1) for c in range(NUM_CLASSES)], 1)
    fused = 0.25 * p + 0.75 * agg
    torch.testing.assert_close(t['conf'], fused.max(1).values)
    assert torch.equal(t['label'], fused.argmax(1))
    share = (fused.max(1).values >= 0.5).float().mean()
    torch.testing.assert_close(t['fraction'], share)
    # the fusion changes labels here (else this test could not tell it apart)
    assert not torch.equal(t['label'], p.argmax(1))


def test_product_fusion_of_the_pseudo_labels_by_hand():
    model, inputs, samples = filled_model()
    assert model.semantic_fusion == 'product'  # the default
    target = inputs['weak']
    t = model.target_pseudo_labels(target, samples['unlabeled'])
    bank = model.instance_bank
    q = hand_distribution(model.teacher.backbone(target)[0], bank.features,
                          bank.filled.float(), 0.1)
    p = model.teacher.decode_head(model.teacher.backbone(target)).softmax(1)
    agg = torch.stack([q[:, bank.labels == c].sum(1) for c in range(NUM_CLASSES)], 1)
    fused = p * agg / (p * agg).sum(1, keepdim=True)
    torch.testing.assert_close(t['conf'], fused.max(1).values)
    assert torch.equal(t['label'], fused.argmax(1))
    # agreement sharpens: the fused confidence exceeds the teacher's where both argmaxes agree
    agree = p.argmax(1) == agg.argmax(1)
    assert agree.any() and (t['conf'][agree] >= p.max(1).values[agree] - 1e-6).all()


def test_without_instance_to_semantic_the_pseudo_labels_are_dacs_ones():
    model, inputs, samples = filled_model(fuse_instance_to_semantic=False)
    t = model.target_pseudo_labels(inputs['weak'], samples['unlabeled'])
    base = model.labels_from_logits(
        model.teacher.decode_head(model.teacher.backbone(inputs['weak'])), (16, 16))
    assert torch.equal(t['label'], base['label'])
    torch.testing.assert_close(t['conf'], base['conf'])


@pytest.mark.parametrize('source_pixels', [True, False])
def test_mixed_instance_target_pixel_by_pixel(source_pixels):
    model, inputs, samples = filled_model(instance_source_pixels=source_pixels)
    bank = model.instance_bank
    gt = gt_of(samples)
    t = model.target_pseudo_labels(inputs['weak'], samples['unlabeled'])
    mask = torch.zeros(2, 16, 16, dtype=torch.bool)
    mask[:, 5:11, 3:9] = True
    src_emb = model.student.backbone(inputs['labeled'])[0].detach()
    out = model.mixed_instance_target(mask, t['instance'], src_emb, gt)
    assert torch.equal(out[~mask[:, None].expand_as(out)],
                       t['instance'][~mask[:, None].expand_as(out)])
    q_src = hand_distribution(src_emb, bank.features, bank.filled.float(), 0.1)
    for b, y, x in ((0, 5, 3), (1, 10, 8), (0, 7, 4)):
        got = out[b, :, y, x]
        if not source_pixels:
            assert torch.equal(got, torch.zeros_like(got))
            continue
        c = gt[b, y, x].item()
        if c == 255:
            assert torch.equal(got, torch.zeros_like(got))
            continue
        expected = q_src[b, :, y, x] * (bank.labels == c)
        torch.testing.assert_close(got, expected / expected.sum())
        assert got[bank.labels != c].abs().sum() == 0


@pytest.mark.parametrize('semantic_to_instance', [True, False])
def test_instance_loss_of_a_step_equals_the_hand_computation(semantic_to_instance, monkeypatch):
    model, inputs, samples = filled_model(
        loss_instance=dict(type='InstanceSimilarityLoss', loss_weight=0.7),
        fuse_semantic_to_instance=semantic_to_instance,
        pseudo_threshold=0.01)  # every target pixel confident: weight 1 there
    seen = {}
    original = model.mixed_instance_target

    def spy(mask, target_inst, src_emb, gt):
        seen['mask'] = mask
        seen['instance'] = out = original(mask, target_inst, src_emb, gt)
        return out

    monkeypatch.setattr(model, 'mixed_instance_target', spy)
    torch.manual_seed(11)
    losses = model.loss(inputs, samples)
    assert {'unsup.loss_ins', 'unsup.loss_mix', 'unsup.bank_filled'} <= set(losses)
    # By hand with the same draws: the mixed image, the student's embedding and logits.
    gt = gt_of(samples)
    torch.manual_seed(11)
    t = model.target_pseudo_labels(inputs['weak'], samples['unlabeled'])
    mask = model.mixer.mask_from_labels(gt)
    assert torch.equal(mask, seen['mask'])
    img = torch.where(mask[:, None], inputs['labeled'], inputs['weak'])
    weight = torch.where(mask, torch.ones(()), t['weight'])
    assert (weight[~mask] == 1).all() and (~mask).any()
    s = model.student
    emb = s.backbone(img)[0]
    target = seen['instance']
    if semantic_to_instance:
        p = s.decode_head.cls_seg(emb).softmax(1).detach()
        joint = target * p[:, model.instance_bank.labels]
        norm = joint.sum(1, keepdim=True)
        target = torch.where(norm > 0, joint / norm.clamp(min=1e-12), target)
    bank = model.instance_bank
    q = hand_distribution(emb, bank.features, bank.filled.float(), 0.1)
    ce = -(target * torch.log(q)).sum(1)
    torch.testing.assert_close(losses['unsup.loss_ins'], 0.7 * (ce * weight).mean())
    # the source terms are the student's own (one pass gives them and the bank's input)
    sup = s.loss(inputs['labeled'], samples['labeled'])
    torch.testing.assert_close(losses['sup.decode.loss_ce'], sup['decode.loss_ce'])
    total = sum(v for k, v in losses.items() if 'loss' in k)
    total.backward()
    assert model.student.backbone.conv.weight.grad is not None


def test_the_step_updates_the_bank_from_the_source_batch():
    model = dida()
    inputs, samples = uda_batch(seed=5)
    assert not model.instance_bank.filled.any()
    losses = model.loss(inputs, samples)
    bank = model.instance_bank
    assert bank.filled.all() and bank.num_updates.item() == 1
    assert losses['unsup.bank_filled'].item() == 1.0
    # slot 0 (class 0, image 0) holds the unit mean of image 0's class-0 embeddings
    emb = model.student.backbone(inputs['labeled'])[0].detach()
    gt = gt_of(samples)
    sel = gt[0] == 0
    mean = emb[0][:, sel].mean(1)
    torch.testing.assert_close(bank.features[0], F.normalize(mean, dim=0))


def test_lambda_zero_gives_a_zero_instance_loss_and_dacs_semantics():
    model, inputs, samples = filled_model(
        loss_instance=dict(type='InstanceSimilarityLoss', loss_weight=0.0))
    losses = model.loss(inputs, samples)
    assert losses['unsup.loss_ins'].item() == 0.0
    assert math.isfinite(losses['unsup.loss_mix'].item())


def test_bank_is_in_the_checkpoint_and_restored_exactly():
    model, inputs, samples = filled_model()
    model.loss(inputs, samples)
    state = model.state_dict()
    keys = {k for k in state if k.startswith('instance_bank.')}
    assert keys == {f'instance_bank.{n}' for n in
                    ('features', 'labels', 'filled', 'pointer', 'num_updates')}
    fresh = dida()
    assert not torch.equal(fresh.instance_bank.features, model.instance_bank.features)
    fresh.load_state_dict(state, strict=True)
    for key in keys:
        assert torch.equal(fresh.state_dict()[key], state[key]), key
    # a checkpoint without a bank (DAFormer, a plain segmentor) loads strictly, bank empty
    plain = {k[len('student.'):]: v for k, v in state.items() if k.startswith('student.')}
    other = dida()
    other.load_state_dict(plain, strict=True)
    assert not other.instance_bank.filled.any()


def test_arguments_are_checked():
    with pytest.raises(ValueError, match='temperature'):
        dida(temperature=0.0)
    with pytest.raises(ValueError, match='semantic_fusion'):
        dida(semantic_fusion='sum')
    with pytest.raises(ValueError, match='class_slots'):
        dida(instance_bank=dict(num_entries=6, class_slots=[1, 1, 1]))


def test_a_bf16_autocast_step_keeps_the_bank_and_similarities_in_fp32():
    model = dida()
    inputs, samples = uda_batch(seed=5)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        losses = model.loss(inputs, samples)
        sim = model.instance_bank.similarity(inputs['weak'][:, :1].expand(-1, CHANNELS, -1, -1))
    assert model.instance_bank.features.dtype == torch.float32 and sim.dtype == torch.float32
    assert model.instance_bank.filled.all()
    assert torch.isfinite(losses['unsup.loss_ins'])


def test_the_instance_parts_of_a_step_do_not_synchronise(monkeypatch):
    """Bank update, teacher distribution, fusion, mixed target and instance loss run with
    Tensor.item / tolist / cpu / numpy / __bool__ forbidden (DACS's own ClassMix draw is
    done beforehand)."""
    model, inputs, samples = filled_model()
    gt = gt_of(samples)
    mask = model.mixer.mask_from_labels(gt)
    for name in ('item', 'tolist', 'cpu', 'numpy', '__bool__'):
        monkeypatch.setattr(torch.Tensor, name, _forbidden(name))
    losses, src_emb = model.loss_source_with_bank(inputs['labeled'], samples['labeled'], gt)
    t = model.target_pseudo_labels(inputs['weak'], samples['unlabeled'])
    inst = model.mixed_instance_target(mask, t['instance'], src_emb, gt)
    img = torch.where(mask[:, None], inputs['labeled'], inputs['weak'])
    label = torch.where(mask, gt, t['label'])
    weight = torch.where(mask, torch.ones(()), t['weight'])
    views = {'mix': dict(mix=img, label=label, weight=weight, mask=mask, instance=inst)}
    out = model.loss_unsupervised(views, (16, 16))
    monkeypatch.undo()
    assert torch.isfinite(out['unsup.loss_ins']) and out['unsup.loss_ins'] > 0


def _forbidden(name):
    def fail(*args, **kwargs):
        raise AssertionError(f'host synchronisation: Tensor.{name}')
    return fail


def test_a_step_with_connected_component_instances():
    model = dida(instance_bank=dict(num_entries=12, instances='component', max_components=2))
    inputs, samples = uda_batch(seed=5)
    losses = model.loss(inputs, samples)
    bank = model.instance_bank
    # random labels: many components per class; the 2 largest of each class per image
    # fill all 4 slots of every class (2 images x 2 components)
    assert bank.filled.all() and torch.isfinite(losses['unsup.loss_ins'])
    assert len({tuple(f.tolist()) for f in bank.features}) == 12  # 12 different instances
