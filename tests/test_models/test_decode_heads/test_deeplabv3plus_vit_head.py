import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

TINY = dict(type='DeepLabV3PlusViTHead', in_channels=32, channels=16, skip_in_channels=24,
            c1_in_channels=16, c1_channels=8, num_classes=5)


def make_inputs(batch=2, size=8, grad=False):
    """Random stand-ins for (skip_0, skip_1, dense) of the backbone, dense at 1/16."""
    skips = [torch.randn(batch, 24, size, size, requires_grad=grad) for _ in range(2)]
    dense = F.normalize(torch.randn(batch, 32, size, size), dim=1).requires_grad_(grad)
    return (*skips, dense)


def build(**overrides):
    torch.manual_seed(0)
    return MODELS.build(dict(TINY, **overrides))


def test_structure_and_adapter_parameters():
    head = build()
    # ConvT 24->16 (2x2) + BN(16) + ConvT 16->16 (2x2).
    assert sum(p.numel() for p in head.c1_adapter.parameters()) == (
        24 * 16 * 4 + 16) + 32 + (16 * 16 * 4 + 16)
    assert isinstance(head.c1_adapter.layers[1], torch.nn.BatchNorm2d)
    assert head.dropout is None
    sync = build(norm_cfg=dict(type='SyncBN', requires_grad=True))
    assert type(sync.c1_adapter.layers[1]).__name__ == 'SyncBatchNorm'


def test_forward_backward_uses_selected_inputs():
    head = build()
    inputs = make_inputs(grad=True)
    out = head(inputs)
    assert out.shape == (2, 5, 32, 32)  # 1/4 of a 128 px input
    out.square().mean().backward()
    assert inputs[0].grad is None  # skip_0 is not used by default
    assert inputs[1].grad.abs().sum() > 0 and inputs[2].grad.abs().sum() > 0


def test_feature_perturbation():
    head = build().eval()  # BN in eval: the clean part is independent of the batch
    inputs = make_inputs(batch=3)
    clean = head(inputs)
    torch.manual_seed(3)
    out = head(inputs, num_perturbed=1)
    assert out.shape == (4, 5, 32, 32)
    assert torch.allclose(out[:3], clean, atol=1e-5)
    assert not torch.allclose(out[3], clean[2], atol=1e-3)
    torch.manual_seed(3)
    assert torch.equal(head(inputs, num_perturbed=1), out)


def test_mmseg_loss():
    head = build()
    sample = SegDataSample(gt_sem_seg=PixelData(data=torch.randint(0, 5, (1, 128, 128))))
    losses = head.loss(make_inputs(), [sample, sample], train_cfg=dict())
    assert losses['loss_ce'] > 0
    losses['loss_ce'].backward()
