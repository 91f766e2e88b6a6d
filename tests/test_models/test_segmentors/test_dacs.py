"""DACS / DAFormer / MIC on toy modules: numbers against hand computations."""
from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from mmseg_semivl.engine.hooks import EMATeacherHook
from mmseg_semivl.models.utils.self_training import (DACSStrongTransform,
                                                     ImageNetFeatureDistance,
                                                     MaskedImageConsistency,
                                                     confident_fraction_weight,
                                                     downscale_label_ratio)
from toy_modules import build_seeded, NUM_CLASSES, toy_student

SIZE = 16
NO_AUG = dict(type='DACSStrongTransform', color_jitter_prob=1.0, blur=False)


def dacs(**kwargs):
    cfg = dict(type='DACS', student=toy_student(), strong_transform=NO_AUG,
               data_preprocessor=dict(type='SemiSegDataPreProcessor'))
    return build_seeded(cfg, **kwargs)


def uda_batch(seed=0, batch=2, ignore_rows=2):
    """Preprocessed UDA batch: source (with labels, top rows 255) and target."""
    g = torch.Generator().manual_seed(seed)
    inputs = dict(labeled=torch.randn(batch, 3, SIZE, SIZE, generator=g),
                  weak=torch.randn(batch, 3, SIZE, SIZE, generator=g))
    src, tgt = [], []
    for _ in range(batch):
        s = SegDataSample()
        label = torch.randint(0, NUM_CLASSES, (1, SIZE, SIZE), generator=g)
        label[:, :ignore_rows] = 255
        s.gt_sem_seg = PixelData(data=label)
        s.set_metainfo(dict(img_shape=(SIZE, SIZE), pad_shape=(SIZE, SIZE)))
        src.append(s)
        t = SegDataSample()
        t.valid_mask = PixelData(data=torch.ones(1, SIZE, SIZE, dtype=torch.uint8))
        t.set_metainfo(dict(img_shape=(SIZE, SIZE), pad_shape=(SIZE, SIZE)))
        tgt.append(t)
    return inputs, dict(labeled=src, unlabeled=tgt)


def gt_of(samples):
    return torch.stack([s.gt_sem_seg.data[0] for s in samples['labeled']]).long()


# ---------------------------------------------------------------- EMA alpha schedule
def test_ema_alpha_schedule_of_dacs_and_daformer():
    # alpha_t = min(1 - 1 / (t + 1), alpha); the hook's momentum is 1 - alpha_t.
    for alpha in (0.99, 0.999):
        hook = EMATeacherHook(momentum=1 - alpha)
        for t in (1, 2, 3, 10, 99, 100, 998, 999, 5000):
            expected = min(1 - 1 / (t + 1), alpha)
            assert 1 - hook.momentum_at(t) == pytest.approx(expected, abs=1e-12)
    hook = EMATeacherHook(momentum=0.01)
    assert hook.momentum_at(1) == 0.5 and hook.momentum_at(3) == 0.25
    assert hook.momentum_at(99) == pytest.approx(0.01) and hook.momentum_at(500) == 0.01


def test_ema_teacher_of_dacs_starts_as_copy_and_averages_by_hand():
    model = dacs()
    assert all(torch.equal(a, b) for a, b in zip(model.student.state_dict().values(),
                                                  model.teacher.state_dict().values()))
    hook = EMATeacherHook(momentum=0.01)
    runner = SimpleNamespace(model=model, iter=0)
    w0 = model.student.backbone.conv.weight.detach().clone()
    hook.before_train(runner)
    with torch.no_grad():
        model.student.backbone.conv.weight.add_(1.0)  # student after update 1
    hook.after_train_iter(runner, 0)
    torch.testing.assert_close(model.teacher.backbone.conv.weight, 0.5 * w0 + 0.5 * (w0 + 1))
    with torch.no_grad():
        model.student.backbone.conv.weight.add_(1.0)  # after update 2
    runner.iter = 1
    hook.after_train_iter(runner, 1)
    # alpha_2 = 2/3: 2/3 (w0 + 0.5) + 1/3 (w0 + 2) = w0 + 1
    torch.testing.assert_close(model.teacher.backbone.conv.weight, w0 + 1.0)


# ---------------------------------------------------------------- pseudo-label weight
def test_confident_fraction_weight_is_one_scalar_per_batch():
    conf = torch.tensor([[[0.99, 0.5], [0.97, 0.968]], [[0.1, 0.2], [0.3, 0.999]]])
    weight, fraction = confident_fraction_weight(conf, 0.968)
    # 4 of 8 pixels reach 0.968 (0.99, 0.97, 0.968, 0.999).
    assert fraction.item() == pytest.approx(0.5)
    assert torch.equal(weight, torch.full_like(conf, 0.5))
    valid = torch.ones_like(conf, dtype=torch.bool)
    valid[1, 0] = False  # 0.1, 0.2 are padding: 4 of 6
    weight, fraction = confident_fraction_weight(conf, 0.968, valid)
    assert fraction.item() == pytest.approx(4 / 6)
    assert torch.equal(weight[1, 0], torch.zeros(2)) and weight[0, 0, 0] == pytest.approx(4 / 6)


def test_pseudo_label_crop_margins_zero_rows_after_the_fraction():
    conf = torch.ones(1, 10, 3)
    weight, fraction = confident_fraction_weight(conf, 0.968, ignore_top=2, ignore_bottom=3)
    assert fraction.item() == 1.0  # the fraction counts the cropped rows too (anchor)
    assert weight[0, :2].eq(0).all() and weight[0, 7:].eq(0).all()
    assert weight[0, 2:7].eq(1).all()
    with pytest.raises(ValueError, match='margins'):
        confident_fraction_weight(conf, ignore_top=-1)


def test_dacs_pseudo_weight_uses_teacher_confidence():
    model = dacs(pseudo_weight_ignore_top=3)
    inputs, samples = uda_batch()
    t = model.target_pseudo_labels(inputs['weak'], samples['unlabeled'])
    logits = model.teacher.decode_head(model.teacher.extract_feat(inputs['weak']))
    prob = logits.softmax(1)
    assert torch.equal(t['label'], prob.argmax(1))
    expected = (prob.max(1).values >= 0.968).float().mean()
    torch.testing.assert_close(t['fraction'], expected)
    assert t['weight'][:, :3].eq(0).all()
    torch.testing.assert_close(t['weight'][:, 3:], torch.full_like(t['weight'][:, 3:], expected))


# ---------------------------------------------------------------- ClassMix
def test_classmix_mixes_images_labels_and_weights_pixel_by_pixel():
    model = dacs()
    inputs, samples = uda_batch()
    gt = gt_of(samples)
    targets = model.target_pseudo_labels(inputs['weak'], samples['unlabeled'])
    torch.manual_seed(3)
    view = model.mixed_source_target(inputs['labeled'], gt, inputs['weak'], targets)['mix']
    torch.manual_seed(3)
    for b in range(2):  # the draw by hand: half of the image's own classes, never 255
        classes = torch.unique(gt[b])
        classes = classes[classes != 255]
        n = classes.numel()
        chosen = classes[torch.randperm(n)[:(n + n % 2) // 2]]
        mask = torch.isin(gt[b], chosen)
        assert torch.equal(view['mask'][b], mask)
        assert not view['mask'][b][gt[b] == 255].any()
        assert torch.equal(view['mix'][b], torch.where(mask, inputs['labeled'][b],
                                                       inputs['weak'][b]))
        assert torch.equal(view['label'][b], torch.where(mask, gt[b], targets['label'][b]))
        assert torch.equal(view['weight'][b], torch.where(mask, torch.ones(()),
                                                          targets['weight'][b]))


def test_classmix_anchor_option_draws_from_the_batch_including_255():
    model = dacs(mixer=dict(type='ClassMixMasker', classes_from='batch', ignore_index=None))
    labels = torch.tensor([[[0, 0], [255, 255]], [[1, 1], [1, 1]]])
    torch.manual_seed(0)
    mask = model.mixer.mask_from_labels(labels)
    torch.manual_seed(0)
    classes = torch.tensor([0, 1, 255])  # torch.unique over the whole batch
    for b in range(2):
        chosen = classes[torch.randperm(3)[:2]]
        assert torch.equal(mask[b], torch.isin(labels[b], chosen))


# ---------------------------------------------------------------- feature distance
def test_downscale_label_ratio_by_hand():
    label = torch.tensor([[[6, 6, 0, 0],
                           [6, 255, 0, 1],
                           [7, 7, 2, 3],
                           [7, 7, 4, 5]]])
    out = downscale_label_ratio(label, (2, 2), 0.75, 19)
    assert out.tolist() == [[[6, 0], [7, 255]]]  # 3/4 six, 3/4 zero, 4/4 seven, mixed
    out = downscale_label_ratio(label, (2, 2), 0.5, 19)
    assert out[0, 1, 1].item() == 255  # four classes at 1/4 each
    # Equal to DAFormer's avg_pool2d(kernel=scale) where the sides divide.
    big = torch.randint(0, 4, (2, 32, 48))
    onehot = F.one_hot(big, 20).permute(0, 3, 1, 2).float()
    ratio, ref = F.avg_pool2d(onehot, 8).max(1)
    ref[ratio < 0.75] = 255
    assert torch.equal(downscale_label_ratio(big, (4, 6), 0.75, 19), ref)


def test_feature_distance_mask_and_value_by_hand():
    fd = ImageNetFeatureDistance()
    assert fd.loss_weight == 0.005 and fd.min_ratio == 0.75 and fd.layer == -1
    label = torch.tensor([[[6, 6, 0, 0], [6, 6, 0, 0], [13, 13, 255, 255],
                           [13, 255, 255, 255]]])
    mask = fd.mask(label, (2, 2), 19)
    assert mask.tolist() == [[[True, False], [True, False]]]  # person (13) 3/4, road stuff
    feat = torch.zeros(1, 2, 2, 2)
    ref = torch.zeros(1, 2, 2, 2)
    feat[0, :, 0, 0] = torch.tensor([3.0, 4.0])  # distance 5
    feat[0, :, 1, 0] = torch.tensor([0.0, 1.0])  # distance 1
    feat[0, :, 0, 1] = 100.0  # stuff: not counted
    assert fd(feat, ref, mask).item() == pytest.approx(0.005 * 3.0)
    assert fd(feat, ref, torch.zeros_like(mask)).item() == 0.0


def test_dacs_with_feature_distance_uses_a_frozen_copy_of_the_initial_student():
    model = dacs(feature_distance=dict(classes=(0, 1, 2), min_ratio=0.0))
    ref = model.imnet_model
    assert 'frozen.imnet_model' in model.parts()
    assert torch.equal(ref.backbone.conv.weight, model.student.backbone.conv.weight)
    assert not any(p.requires_grad for p in ref.parameters())
    assert not any(k.startswith('imnet_model.') for k in model.state_dict())
    inputs, samples = uda_batch()
    with torch.no_grad():
        model.student.backbone.conv.weight.add_(0.5)
    losses = model.loss(inputs, samples)
    gt = gt_of(samples)
    f = model.student.backbone(inputs['labeled'])[0]
    f0 = ref.backbone(inputs['labeled'])[0]
    dist = torch.norm(f - f0, dim=1)
    expected = 0.005 * dist[gt != 255].mean()  # scale 1: every labeled pixel counts
    torch.testing.assert_close(losses['sup.loss_fd'], expected)


def test_feature_distance_refuses_a_clip_encoder_by_default():
    student = dict(toy_student(), backbone=dict(type='CLIPVisionTransformer'))
    with pytest.raises(ValueError, match='no ImageNet counterpart'):
        MODELS.build(dict(type='DACS', student=student, feature_distance=dict()))


# ---------------------------------------------------------------- MIC
def test_mic_mask_is_blockwise_with_the_drawn_grid():
    mic = MaskedImageConsistency(block_size=4, mask_ratio=0.7)
    imgs = torch.ones(2, 3, 16, 16)
    torch.manual_seed(5)
    keep = mic.keep_mask(imgs)
    torch.manual_seed(5)
    grid = (torch.rand(2, 1, 4, 4) > 0.7).float()
    assert torch.equal(keep, grid.repeat_interleave(4, 2).repeat_interleave(4, 3))
    torch.manual_seed(5)
    assert torch.equal(mic.mask_image(imgs), imgs * keep)
    big = mic.keep_mask(torch.ones(8, 3, 256, 256))
    assert big.mean().item() == pytest.approx(0.3, abs=0.03)


# ---------------------------------------------------------------- one step, by hand
def test_one_dacs_step_equals_the_hand_computation():
    model = dacs(mic=dict(block_size=4, color_augment=False))
    inputs, samples = uda_batch()
    torch.manual_seed(11)
    losses = model.loss(inputs, samples)
    assert set(losses) == {'sup.decode.loss_ce', 'sup.decode.acc_seg', 'unsup.loss_mix',
                           'unsup.loss_mic', 'unsup.pseudo_weight', 'unsup.mix_share'}
    # By hand, with the same random draws in the same order: ClassMix, then MIC.
    gt = gt_of(samples)
    torch.manual_seed(11)
    t = model.target_pseudo_labels(inputs['weak'], samples['unlabeled'])
    mask = model.mixer.mask_from_labels(gt)
    torch.rand(2)  # the (disabled) photometric draw of the mixed view
    img = torch.where(mask[:, None], inputs['labeled'], inputs['weak'])
    label = torch.where(mask, gt, t['label'])
    weight = torch.where(mask, torch.ones(()), t['weight'])
    keep = MaskedImageConsistency(block_size=4).keep_mask(inputs['weak'])
    s = model.student
    ce_mix = F.cross_entropy(s.decode_head(s.backbone(img)), label, reduction='none',
                             ignore_index=255)
    torch.testing.assert_close(losses['unsup.loss_mix'], (ce_mix * weight).mean())
    ce_mic = F.cross_entropy(s.decode_head(s.backbone(inputs['weak'] * keep)), t['label'],
                             reduction='none')
    torch.testing.assert_close(losses['unsup.loss_mic'], (ce_mic * t['weight']).mean())
    sup = s.loss(inputs['labeled'], samples['labeled'])
    torch.testing.assert_close(losses['sup.decode.loss_ce'], sup['decode.loss_ce'])
    total = sum(v for k, v in losses.items() if 'loss' in k)
    total.backward()
    assert model.student.backbone.conv.weight.grad is not None
    assert model.teacher.backbone.conv.weight.grad is None


def test_source_and_target_batches_must_match():
    model = dacs()
    inputs, samples = uda_batch()
    inputs['weak'] = inputs['weak'][:, :, :8]
    with pytest.raises(ValueError, match='same shape'):
        model.loss(inputs, samples)


def test_checkpoint_round_trip_keeps_the_teacher():
    model = dacs(feature_distance=dict())
    with torch.no_grad():
        model.teacher.backbone.conv.weight.fill_(0.25)
    state = model.state_dict()
    assert any(k.startswith('teacher.') for k in state)
    assert not any(k.startswith('imnet_model.') for k in state)
    other = dacs(feature_distance=dict())
    other.load_state_dict(state, strict=True)
    assert other.teacher.backbone.conv.weight.eq(0.25).all()
    # A plain segmentor checkpoint loads into the student and the teacher.
    plain = {k[len('student.'):]: v for k, v in state.items() if k.startswith('student.')}
    other.load_state_dict(plain, strict=True)
    assert torch.equal(other.teacher.backbone.conv.weight, other.student.backbone.conv.weight)


# ---------------------------------------------------------------- photometric
def test_blur_kernel_size_follows_the_anchor_formula():
    import math
    for side in (16, 64, 100, 512, 1024):
        k = math.ceil(0.1 * side)
        anchor = int(math.floor(k - 0.5 + k % 2))
        assert DACSStrongTransform.kernel_size(side) == anchor
    assert DACSStrongTransform.kernel_size(512) == 51


def test_strong_transform_changes_colours_and_keeps_shape():
    aug = DACSStrongTransform(color_jitter_prob=0.0, blur_prob=0.0)
    mean = torch.tensor([123.675, 116.28, 103.53]).view(3, 1, 1)
    std = torch.tensor([58.395, 57.12, 57.375]).view(3, 1, 1)
    imgs = (torch.rand(2, 3, 32, 32) * 255 - mean) / std
    out = aug(imgs, mean, std)
    assert out.shape == imgs.shape and not torch.allclose(out, imgs)
    off = DACSStrongTransform(color_jitter_prob=1.0, blur=False)
    assert torch.equal(off(imgs, mean, std), imgs)


def test_fd_reference_identity_is_in_the_checkpoint_and_checked():
    model = dacs(feature_distance=dict())
    state = model.state_dict()
    assert 'fd_reference_stats' in state
    ref = model.imnet_model.backbone.conv.weight
    expected = torch.stack([sum(p.numel() for p in model.imnet_model.parameters()) * torch.ones(
        (), dtype=torch.float64), sum(p.double().sum() for p in model.imnet_model.parameters()),
        sum(p.double().abs().sum() for p in model.imnet_model.parameters())])
    torch.testing.assert_close(state['fd_reference_stats'], expected)
    assert ref.requires_grad is False
    # A plain segmentor checkpoint still loads strictly.
    plain = {k[len('student.'):]: v for k, v in state.items() if k.startswith('student.')}
    dacs(feature_distance=dict()).load_state_dict(plain, strict=True)
    # A checkpoint trained against another reference stops the first step.
    other = dacs(feature_distance=dict())
    state['fd_reference_stats'] = state['fd_reference_stats'] + 1
    other.load_state_dict(state, strict=True)
    inputs, samples = uda_batch()
    with pytest.raises(RuntimeError, match='the frozen reference .* checkpoint was trained'):
        other.loss(inputs, samples)


def test_a_crop_the_patch_encoder_cannot_tile_is_refused():
    from mmseg_semivl.models.backbones import TINY_CLIP_CFG
    student = dict(toy_student(), backbone=dict(
        type='CLIPVisionTransformer', model_name='semivl-tiny', model_cfg=TINY_CLIP_CFG,
        pretrained=None, img_size=64, skip_blocks=(0, )))
    pre = dict(type='SemiSegDataPreProcessor', size=(60, 64))
    with pytest.raises(ValueError, match=r'data_preprocessor.size=\(60, 64\) is not a multiple '
                       r'of the CLIPVisionTransformer patch 16.*use e.g. \(48, 64\)'):
        MODELS.build(dict(type='DACS', student=student, data_preprocessor=pre))
    with pytest.raises(ValueError, match='not a multiple'):
        MODELS.build(dict(type='SourceOnlySegmentor', student=student, data_preprocessor=pre))
