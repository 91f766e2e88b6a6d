"""Skip and up-block widths follow `channels` unless set; narrow decoders build."""
import pytest
import torch

from mmseg_semivl.models.decode_heads import LanguageGuidedHead


def test_defaults_are_the_reference_widths_at_128():
    assert LanguageGuidedHead.default_widths(128, 2, None, None) == ((16, 32), (64, 32))
    head = LanguageGuidedHead(num_classes=3)
    assert [m.conv.out_channels for m in head.skip_projs] == [16, 32]
    assert head.conv_seg.in_channels == 32


@pytest.mark.parametrize('channels,expected', [(32, ((4, 8), (16, 8))), (64, ((8, 16), (32, 16)))])
def test_narrow_decoder_scales_its_widths(channels, expected):
    assert LanguageGuidedHead.default_widths(channels, 2, None, None) == expected
    head = LanguageGuidedHead(in_channels=(32, 32, 32), text_channels=32, channels=channels,
                              num_classes=4, text_proj_channels=16, feedforward_channels=32)
    assert [m.conv.out_channels for m in head.skip_projs] == list(expected[0])
    head.set_text_embeddings(torch.randn(4, 32))
    feats = [torch.randn(2, 32, 8, 8) for _ in range(3)]
    assert head(feats).shape == (2, 4, 32, 32)


def test_explicit_widths_that_do_not_fit_name_the_settings():
    with pytest.raises(ValueError, match=r'channels=32.*skip_channels=\(16, 32\)'):
        LanguageGuidedHead(in_channels=(32, 32, 32), text_channels=32, channels=32,
                           num_classes=2, skip_channels=(16, 32), up_channels=(64, 32))
