"""FCDiscriminator shapes and parameter count, entropy maps and GAN losses by hand."""
import math

import pytest
import torch
from mmseg.registry import MODELS

import mmseg_semivl  # noqa: F401
from mmseg_semivl.models.discriminators import FCDiscriminator
from mmseg_semivl.models.losses import GANLoss
from mmseg_semivl.models.utils import entropy_loss, self_information


@pytest.mark.parametrize('num_classes', [5, 19])
def test_discriminator_parameter_count_by_hand(num_classes):
    disc = FCDiscriminator(num_classes)
    widths = [num_classes, 64, 128, 256, 512, 1]
    expected = sum(4 * 4 * a * b + b for a, b in zip(widths[:-1], widths[1:]))
    assert sum(p.numel() for p in disc.parameters()) == expected
    if num_classes == 19:
        # 19,520 + 131,200 + 524,544 + 2,097,664 + 8,193 (weights 16 C_in C_out + biases)
        assert expected == 2_781_121
    convs = [m for m in disc.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [(c.kernel_size, c.stride, c.padding) for c in convs] == [((4, 4), (2, 2), (1, 1))] * 5
    relus = [m for m in disc.modules() if isinstance(m, torch.nn.LeakyReLU)]
    assert len(relus) == 4 and all(r.negative_slope == 0.2 for r in relus)


@pytest.mark.parametrize('hw,out', [((64, 64), (2, 2)), ((512, 512), (16, 16)),
                                    ((96, 160), (3, 5))])
def test_discriminator_output_shape(hw, out):
    disc = MODELS.build(dict(type='FCDiscriminator', in_channels=3))
    assert disc(torch.rand(2, 3, *hw)).shape == (2, 1, *out)


def test_discriminator_rejects_wrong_channels():
    with pytest.raises(ValueError, match=r'expects \(B, 3, H, W\)'):
        FCDiscriminator(3)(torch.rand(1, 4, 32, 32))


def test_self_information_by_hand():
    # Two pixels, three classes: (0.5, 0.25, 0.25) and (1, 0, 0).
    prob = torch.tensor([[0.5, 1.0], [0.25, 0.0], [0.25, 0.0]]).reshape(1, 3, 1, 2)
    log2c = math.log2(3)
    expected = torch.tensor([[0.5 * 1, 0.0], [0.25 * 2, 0.0], [0.25 * 2, 0.0]]) / log2c
    got = self_information(prob)
    assert torch.allclose(got.reshape(3, 2), expected, atol=1e-7)
    assert torch.isfinite(got).all()  # p = 0 gives 0, not NaN
    # MinEnt: mean over pixels of the normalised entropy: (1.5 / log2 3 + 0) / 2.
    assert entropy_loss(prob).item() == pytest.approx(1.5 / log2c / 2, rel=1e-6)
    uniform = torch.full((2, 4, 3, 3), 0.25)
    assert entropy_loss(uniform).item() == pytest.approx(1.0, rel=1e-6)


def test_self_information_float16_input_stays_finite():
    prob = torch.tensor([1.0, 0.0]).reshape(1, 2, 1, 1).half()
    assert torch.isfinite(self_information(prob)).all()


def test_gan_losses_by_hand():
    logits = torch.tensor([0.0, 2.0, -1.0, 0.5]).reshape(1, 1, 2, 2)
    bce_one = torch.stack([-torch.log(torch.sigmoid(x)) for x in logits.flatten()]).mean()
    bce_zero = torch.stack([-torch.log(1 - torch.sigmoid(x)) for x in logits.flatten()]).mean()
    vanilla = GANLoss('vanilla')
    assert vanilla(logits, 1.0).item() == pytest.approx(bce_one.item(), rel=1e-6)
    assert vanilla(logits, 0.0).item() == pytest.approx(bce_zero.item(), rel=1e-6)
    lsgan = GANLoss('lsgan')
    assert lsgan(logits, 1.0).item() == pytest.approx((1 + 1 + 4 + 0.25) / 4)
    assert lsgan(logits, 0.0).item() == pytest.approx((0 + 4 + 1 + 0.25) / 4)
    with pytest.raises(ValueError, match='gan_type'):
        GANLoss('wgan')


def test_registrations():
    from mmengine.registry import MODEL_WRAPPERS
    from mmseg.registry import OPTIM_WRAPPER_CONSTRUCTORS
    for name in ('FCDiscriminator', 'GANLoss', 'DLV2Head', 'OpenCLIPEVA',
                 'AdversarialSegmentor', 'AdvSeg', 'AdvEnt', 'MinEnt'):
        assert MODELS.get(name).__module__.startswith('mmseg_semivl.'), name
    assert OPTIM_WRAPPER_CONSTRUCTORS.get('SubmoduleOptimWrapperConstructor') is not None
    assert MODEL_WRAPPERS.get('AdversarialDistributedDataParallel') is not None
