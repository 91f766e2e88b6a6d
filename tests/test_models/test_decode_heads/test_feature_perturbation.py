import pytest
import torch

from mmseg_semivl.models.decode_heads import perturb_features


def test_perturbed_copies_are_channel_dropout_of_last_samples():
    torch.manual_seed(0)
    feats = [torch.rand(3, 64, 2, 2) + 0.1, torch.rand(3, 8, 4, 4) + 0.1]
    out = perturb_features(feats, num_perturbed=2, p=0.5)
    for feat, res in zip(feats, out):
        assert res.shape == (5, *feat.shape[1:])
        assert torch.equal(res[:3], feat)
        # Dropout2d: each channel of a perturbed sample is dropped or scaled by 1/(1-p).
        ratio = (res[3:] / feat[1:]).flatten(2)
        assert torch.allclose(ratio, ratio[..., :1].expand_as(ratio))
        assert set(ratio[..., 0].unique().tolist()) == {0.0, 2.0}
    # Independent masks per input tensor.
    kept = [(res[3:, :8, 0, 0] > 0) for res in out]
    assert not torch.equal(kept[0], kept[1])


def test_no_perturbation_and_bad_counts():
    feats = [torch.rand(2, 4, 2, 2)]
    assert perturb_features(feats, 0, 0.5)[0] is feats[0]
    with pytest.raises(ValueError, match='num_perturbed=3'):
        perturb_features(feats, 3, 0.5)
    with pytest.raises(ValueError, match='batch size 1'):
        perturb_features([feats[0], torch.rand(1, 4, 2, 2)], 1, 0.5)
    with pytest.raises(TypeError):
        perturb_features(feats, 1.0, 0.5)
