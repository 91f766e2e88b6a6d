"""CutMix: images and every per-pixel target are mixed identically."""
import torch

from mmseg_semivl.models.utils import MixPartnerSelector, box_mix


def test_box_mix_agrees_pixel_by_pixel_for_images_and_maps():
    torch.manual_seed(0)
    b, h, w = 3, 8, 10
    image, label = torch.rand(b, 3, h, w), torch.randint(0, 5, (b, h, w))
    conf, guide = torch.rand(b, h, w), torch.randint(0, 5, (b, h, w))
    box = torch.zeros(b, h, w, dtype=torch.uint8)
    box[0, 2:5, 3:7] = 1
    box[2, :, :4] = 1
    partner = MixPartnerSelector()(dict(image=image, label=label, conf=conf, guide=guide))
    mixed = {k: box_mix(v, partner[k], box) for k, v in
             dict(image=image, label=label, conf=conf, guide=guide).items()}
    inside = box.bool()
    for i in range(b):
        j = (i - 1) % b  # partner = the previous sample (roll by one)
        for key, own in dict(label=label, conf=conf, guide=guide).items():
            assert torch.equal(mixed[key][i][inside[i]], own[j][inside[i]])
            assert torch.equal(mixed[key][i][~inside[i]], own[i][~inside[i]])
        assert torch.equal(mixed['image'][i][:, inside[i]], image[j][:, inside[i]])
        assert torch.equal(mixed['image'][i][:, ~inside[i]], image[i][:, ~inside[i]])
    assert mixed['label'].dtype == label.dtype and mixed['conf'].dtype == conf.dtype


def test_partner_is_always_a_different_sample_in_a_batch():
    selector = MixPartnerSelector()
    ids = torch.arange(4).view(4, 1, 1)
    partner = selector(dict(ids=ids))['ids'].flatten()
    assert (partner != torch.arange(4)).all()


def test_single_image_uses_previous_iteration():
    selector = MixPartnerSelector()
    first, second = torch.full((1, 2, 2), 1.0), torch.full((1, 2, 2), 2.0)
    assert torch.equal(selector(dict(x=first))['x'], first)  # nothing earlier yet
    assert torch.equal(selector(dict(x=second))['x'], first)
    assert torch.equal(selector(dict(x=first))['x'], second)
