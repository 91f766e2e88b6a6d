"""Loss-dict weighting and namespaces."""
import pytest
import torch

from mmseg_semivl.models.utils import add_prefix, reweight_losses


def test_reweight_scales_loss_terms_only_and_prefix_namespaces():
    losses = {'decode.loss_ce': torch.tensor(2.0), 'decode.acc_seg': torch.tensor(50.0)}
    weighted = add_prefix('sup.', reweight_losses(losses, 0.25))
    assert list(weighted) == ['sup.decode.loss_ce', 'sup.decode.acc_seg']
    assert weighted['sup.decode.loss_ce'].item() == 0.5
    assert weighted['sup.decode.acc_seg'].item() == 50.0
    with pytest.raises(ValueError, match="must not contain 'loss'"):
        add_prefix('loss_', losses)  # would make MMEngine sum the statistics
