import numpy as np
import pytest
import skimage.data
from mmseg.registry import TRANSFORMS

from mmseg_semivl.datasets.transforms import StrongAugment


def astronaut_bgr(size: int = 96) -> np.ndarray:
    """A real photo, loaded as MMSeg would (BGR), centre-cropped to keep tests fast."""
    rgb = skimage.data.astronaut()
    return np.ascontiguousarray(rgb[100:100 + size, 200:200 + size, ::-1])


def test_registered_with_paper_defaults():
    aug = TRANSFORMS.build(dict(type='StrongAugment'))
    assert isinstance(aug, StrongAugment)
    assert (aug.num_views, aug.brightness, aug.contrast, aug.saturation, aug.hue) == (
        2, 0.5, 0.5, 0.5, 0.25)
    assert (aug.color_jitter_prob, aug.grayscale_prob, aug.blur_prob) == (0.8, 0.2, 0.5)
    assert aug.blur_sigma == (0.1, 2.0)


def test_views_differ_from_weak_and_weak_is_untouched():
    img = astronaut_bgr()
    # Always jitter so that both views certainly differ from the weak view.
    aug = StrongAugment(color_jitter_prob=1.0)
    np.random.seed(0)
    results = aug(dict(img=img.copy()))
    np.testing.assert_array_equal(results['img'], img)
    assert results['img_fields'] == ['img', 'img_strong1', 'img_strong2']
    s1, s2 = results['img_strong1'], results['img_strong2']
    for view in (s1, s2):
        assert view.shape == img.shape and view.dtype == np.uint8
        assert np.abs(view.astype(int) - img).mean() > 2
    # The views are augmented independently.
    assert np.abs(s1.astype(int) - s2).mean() > 2


def test_deterministic_under_numpy_seed():
    img = astronaut_bgr()
    aug = StrongAugment()

    def run(seed):
        np.random.seed(seed)
        out = aug(dict(img=img.copy()))
        return out['img_strong1'], out['img_strong2']

    first, again, other = run(3), run(3), run(4)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(first, other))


def test_grayscale_uses_rgb_weights_on_bgr_input():
    # Pure blue in BGR; ITU-R 601 luma of blue is 0.114 * 255 = 29 (red would give 76).
    img = np.zeros((4, 5, 3), np.uint8)
    img[..., 0] = 255
    aug = StrongAugment(num_views=1, color_jitter_prob=0, grayscale_prob=1, blur_prob=0)
    view = aug(dict(img=img))['img_strong1']
    assert np.all(np.abs(view.astype(int) - 29) <= 1)


def test_rgb_channel_order_option():
    img = np.zeros((4, 5, 3), np.uint8)
    img[..., 0] = 255  # pure red in RGB -> 0.2989 * 255 = 76
    aug = StrongAugment(num_views=1, color_jitter_prob=0, grayscale_prob=1, blur_prob=0,
                        channel_order='rgb')
    view = aug(dict(img=img))['img_strong1']
    assert np.all(np.abs(view.astype(int) - 76) <= 1)


def test_brightness_only_jitter_scales_pixels():
    img = astronaut_bgr(16)
    aug = StrongAugment(num_views=1, contrast=0, saturation=0, hue=0, color_jitter_prob=1,
                        grayscale_prob=0, blur_prob=0)
    np.random.seed(5)
    view = aug(dict(img=img.copy()))['img_strong1'].astype(float)
    # Same draws as the transform: permutation, then the brightness factor.
    np.random.seed(5)
    np.random.rand()  # jitter gate
    np.random.permutation(4)
    factor = np.random.uniform(0.5, 1.5)
    expected = np.clip(img * factor, 0, 255)
    # Hue shift by 0 goes through HSV and back, hence a tolerance of 1 grey level.
    assert np.abs(view - np.floor(expected)).max() <= 1


def test_blur_smooths_but_keeps_constant_images():
    aug = StrongAugment(num_views=1, color_jitter_prob=0, grayscale_prob=0, blur_prob=1)
    flat = np.full((20, 20, 3), 77, np.uint8)
    np.testing.assert_array_equal(aug(dict(img=flat))['img_strong1'], flat)
    img = astronaut_bgr()
    np.random.seed(0)
    blurred = aug(dict(img=img.copy()))['img_strong1'].astype(float)
    roughness = lambda x: np.abs(np.diff(x, axis=1)).mean()  # noqa: E731
    assert roughness(blurred) < 0.9 * roughness(img.astype(float))


@pytest.mark.parametrize('img', [np.zeros((4, 4), np.uint8), np.zeros((4, 4, 3), np.float32)])
def test_rejects_non_uint8_colour_images(img):
    with pytest.raises(ValueError, match='uint8'):
        StrongAugment()(dict(img=img))


def test_rejects_bad_arguments():
    with pytest.raises(ValueError, match='hue'):
        StrongAugment(hue=0.7)
    with pytest.raises(ValueError, match='blur_prob'):
        StrongAugment(blur_prob=1.5)
