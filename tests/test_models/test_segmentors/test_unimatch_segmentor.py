"""UniMatchSegmentor with a stock MMSeg head, views from the configuration, thresholds."""
import pytest
import torch
from mmseg.registry import MODELS

from semi_batch import make_batch
from toy_modules import NUM_CLASSES, toy_student

SIZE = 16


def toy_unimatch(seed=0, **kwargs):
    cfg = dict(type='UniMatchSegmentor', student=toy_student(),
               data_preprocessor=dict(type='SemiSegDataPreProcessor'))
    cfg.update(kwargs)
    torch.manual_seed(seed)
    return MODELS.build(cfg)


def toy_batch(**kwargs):
    return make_batch(num_classes=NUM_CLASSES, size=SIZE, pad=4, **kwargs)


def test_stock_head_gets_generic_feature_perturbation():
    model = toy_unimatch()
    assert not model.head_perturbs_features
    feats = model.student.extract_feat(torch.randn(4, 3, SIZE, SIZE))
    head = model.student.decode_head
    # p = 0: the perturbed copy is the clean prediction of the last samples.
    model.fp_dropout = 0.0
    out = model.decode_with_perturbation(feats, 2)
    assert out.shape == (6, NUM_CLASSES, SIZE, SIZE)
    torch.testing.assert_close(out[4:], head(feats)[2:])
    # p = 1: every channel is dropped, so only the classifier bias is left.
    model.fp_dropout = 1.0
    out = model.decode_with_perturbation(feats, 2)
    bias = head.conv_seg.bias.view(1, -1, 1, 1).expand(2, -1, SIZE, SIZE)
    torch.testing.assert_close(out[4:], bias)
    torch.testing.assert_close(out[:4], head(feats))


def test_feature_perturbation_of_non_image_features_is_refused_clearly():
    model = toy_unimatch()
    with pytest.raises(TypeError, match='use_feature_perturbation=False'):
        model.decode_with_perturbation([torch.randn(4, 8)], 2)


def test_three_strong_views_from_the_configuration():
    inputs, samples = toy_batch(num_strong_views=3)
    weights = (0.1, 0.2, 0.3, 0.4)
    model = toy_unimatch(num_strong_views=3, view_weights=weights,
                         loss_consistency=dict(type='ConfidenceMaskedCrossEntropy',
                                               threshold=0.0))
    losses = model.loss(inputs, samples)
    assert {k for k in losses if 'loss' in k} == {
        'sup.decode.loss_ce', 'unsup.loss_s1', 'unsup.loss_s2', 'unsup.loss_s3',
        'unsup.loss_fp'}
    unit = toy_unimatch(num_strong_views=3, view_weights=(1.0, ) * 4,
                        semi_train_cfg=dict(unsup_weight=1.0),
                        loss_consistency=dict(type='ConfidenceMaskedCrossEntropy',
                                              threshold=0.0))
    torch.manual_seed(0)
    unit_losses = unit.loss(inputs, samples)
    for view, weight in zip(('s1', 's2', 's3'), weights):
        # unsup_weight 1/2 x w_v: the strong views see no randomness, so they compare.
        assert losses[f'unsup.loss_{view}'].item() == pytest.approx(
            0.5 * weight * unit_losses[f'unsup.loss_{view}'].item(), rel=1e-5)
    with pytest.raises(ValueError, match='view_weights needs 4 values'):
        toy_unimatch(num_strong_views=3)
    with pytest.raises(KeyError, match='num_strong_views=2'):
        toy_unimatch().loss(inputs, samples)


def test_logged_confidence_uses_the_segmentor_threshold_not_the_loss_object():
    inputs, samples = toy_batch()
    model = toy_unimatch(confidence_threshold=0.0)
    model.loss_consistency.threshold = 2.0  # what the loss uses is its own business
    losses = model.loss(inputs, samples)
    assert losses['unsup.confident_ratio'].item() == 1.0
    assert losses['unsup.loss_s1'].item() == 0.0
    maps = model.predict_training_targets(inputs['weak'])
    assert (maps['pseudo_label'] == maps['prediction']).all()
    strict = toy_unimatch(confidence_threshold=1.01)
    assert (strict.predict_training_targets(inputs['weak'])['pseudo_label'] == 255).all()
    # Default: the loss config's tau.
    assert toy_unimatch().confidence_threshold == 0.95


def test_classmix_mixer_plugs_into_the_step():
    inputs, samples = toy_batch()
    model = toy_unimatch(mixer=dict(type='ClassMixMasker'),
                         loss_consistency=dict(type='ConfidenceMaskedCrossEntropy',
                                               threshold=0.0))
    losses = model.loss(inputs, samples)
    assert all(torch.isfinite(v) for v in losses.values())
    assert losses['unsup.loss_s1'].item() > 0


def test_class_count_assignments_are_checked_not_dropped():
    model = MODELS.build(dict(toy_student(), type='HeadSyncedEncoderDecoder'))
    model.num_classes = NUM_CLASSES  # the head's own value: accepted
    with pytest.raises(AttributeError, match='follows its decode head'):
        model.num_classes = NUM_CLASSES + 1
    with pytest.raises(AttributeError, match='follows its decode head'):
        model.out_channels = 7
    model.decode_head.num_classes = model.decode_head.out_channels = 5
    assert (model.num_classes, model.out_channels) == (5, 5)
