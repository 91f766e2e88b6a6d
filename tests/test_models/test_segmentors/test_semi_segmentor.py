"""SemiSupervisedSegmentor: the training step's terms, weights, schedule and switches."""
import copy

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.registry import DefaultScope
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

CROP = 64


@pytest.fixture(autouse=True)
def mmseg_scope():
    # As MMEngine's Runner does: nested configs (data preprocessor, losses) resolve in mmseg.
    with DefaultScope.overwrite_default_scope('mmseg'):
        yield


@pytest.fixture(scope='module')
def model_cfg(demo_config, tiny_clip_checkpoint):
    cfg = Config.fromfile(demo_config).model
    for part in (cfg.backbone, cfg.guidance, cfg.decode_head.text_embeddings):
        part.pretrained = tiny_clip_checkpoint
    cfg.backbone.img_size = cfg.guidance.img_size = CROP
    cfg.data_preprocessor.size = (CROP, CROP)
    return cfg


def build(model_cfg, **overrides):
    cfg = copy.deepcopy(model_cfg)
    cfg.update(overrides)
    torch.manual_seed(0)
    return MODELS.build(cfg)


def make_batch(num_labeled=2, num_unlabeled=2, seed=0, pad=16):
    """Preprocessed two-stream batch; the unlabeled images have `pad` columns of padding."""
    g = torch.Generator().manual_seed(seed)
    inputs = dict(labeled=torch.randn(num_labeled, 3, CROP, CROP, generator=g))
    weak = torch.randn(num_unlabeled, 3, CROP, CROP, generator=g)
    inputs.update(weak=weak, strong1=weak + 0.1, strong2=weak - 0.1)
    labeled = []
    for _ in range(num_labeled):
        s = SegDataSample()
        s.gt_sem_seg = PixelData(data=torch.randint(0, 21, (1, CROP, CROP), generator=g))
        s.set_metainfo(dict(img_shape=(CROP, CROP), pad_shape=(CROP, CROP)))
        labeled.append(s)
    unlabeled = []
    for i in range(num_unlabeled):
        s = SegDataSample()
        valid = torch.ones(1, CROP, CROP, dtype=torch.uint8)
        valid[..., CROP - pad:] = 0
        box = torch.zeros(1, CROP, CROP, dtype=torch.uint8)
        box[..., 8:24, 8:40] = 1
        s.valid_mask = PixelData(data=valid)
        s.cutmix_box1 = PixelData(data=box)
        s.cutmix_box2 = PixelData(data=box.flip(-1))
        unlabeled.append(s)
    return inputs, dict(labeled=labeled, unlabeled=unlabeled)


def set_progress(iteration, max_iters):
    hub = MessageHub.get_current_instance()
    hub.update_info('iter', iteration)
    hub.update_info('max_iters', max_iters)


def losses_of(model, seed=0, **batch_kwargs):
    torch.manual_seed(seed)
    inputs, samples = make_batch(**batch_kwargs)
    return model.loss(inputs, samples)


def test_full_step_terms_are_finite_and_named(model_cfg):
    set_progress(0, 10)
    losses = losses_of(build(model_cfg))
    expected = {'decode.loss_ce', 'decode.acc_seg', 'loss_s1', 'loss_s2', 'loss_fp',
                'loss_guidance_s1', 'loss_guidance_s2', 'loss_guidance_fp', 'confident_ratio',
                'guidance_coverage', 'lambda_guidance'}
    assert set(losses) == expected
    assert all(torch.isfinite(v).all() for v in losses.values())
    assert losses['lambda_guidance'].item() == pytest.approx(0.1)


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
    for key, factor in [('decode.loss_ce', 0.5), ('loss_s1', 0.125), ('loss_s2', 0.125),
                        ('loss_fp', 0.25), ('loss_guidance_s1', 0.025),
                        ('loss_guidance_s2', 0.025), ('loss_guidance_fp', 0.05)]:
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
        assert losses[f'loss_{view}'].item() == 0.0
    assert losses['confident_ratio'].item() == 0.0


def test_switches_give_the_ablation_rows(model_cfg):
    set_progress(0, 10)
    sup_only = losses_of(build(model_cfg, use_consistency=False))
    assert set(sup_only) == {'decode.loss_ce', 'decode.acc_seg'}
    no_guidance = losses_of(build(model_cfg, guidance=None))
    assert not any('guidance' in k for k in no_guidance)
    assert 'loss_s1' in no_guidance
    no_fp = losses_of(build(model_cfg, use_feature_perturbation=False))
    assert 'loss_fp' not in no_fp and 'loss_guidance_fp' not in no_fp


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
    fresh = build(model_cfg)
    fresh.load_state_dict(state, strict=True)
