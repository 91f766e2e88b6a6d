"""mmseg_semivl.utils.size_pair: one int or (h, w) as a pair of positive ints."""
import pytest

from mmseg_semivl.utils.sizes import size_pair


@pytest.mark.parametrize('value, pair', [(64, (64, 64)), ((32, 48), (32, 48)), ([16], (16, 16)),
                                         ((8.0, 4), (8, 4))])
def test_sizes_become_pairs(value, pair):
    assert size_pair(value) == pair


@pytest.mark.parametrize('value', [0, (32, 0), (1, 2, 3), (), (2.5, 4), (-1, 8)])
def test_a_bad_size_is_refused_by_name(value):
    with pytest.raises(ValueError, match=r'crop_size must be a positive int or \(height, width\)'):
        size_pair(value, 'crop_size')
