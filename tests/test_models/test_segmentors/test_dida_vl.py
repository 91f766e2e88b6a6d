"""DIDA with the vision-language parts (issue 21): the guidance term on its mixed view and
the VL feature distance on the source pass that fills the bank, against hand computations;
every part off = plain DIDA bit for bit."""
import pytest
import torch

from semi_batch import set_progress
from test_dacs import uda_batch
from test_dacs_vl import (GUIDANCE, GUIDE, assert_bitwise, check_guidance_step,
                          hand_vl_feature_distance, step)
from test_dida import dida


def test_every_vl_part_off_reproduces_plain_dida_bit_for_bit():
    set_progress(10, 100)
    plain_losses, plain_grads = step(dida())
    off = dida(guidance=GUIDANCE, clip_guidance=None, vl_feature_distance=None)
    assert 'guidance' not in off.frozen_names
    off_losses, off_grads = step(off)
    assert_bitwise(plain_losses, off_losses)
    assert_bitwise(plain_grads, off_grads)


@pytest.mark.parametrize('source_pixels', ['ignore', 'ground_truth'])
def test_dida_guidance_term_by_hand_and_dida_terms_unchanged(source_pixels):
    set_progress(25, 100)  # lambda_t = 0.1 * (1 - 0.25)
    plain_losses, _ = step(dida())
    model = dida(guidance=GUIDANCE, clip_guidance=dict(GUIDE, source_pixels=source_pixels))
    losses = check_guidance_step(model, source_pixels)
    # The instance and semantic terms are the plain DIDA's (the guidance draws nothing).
    for key in plain_losses:
        assert torch.equal(plain_losses[key], losses[key]), key
    assert set(losses) - set(plain_losses) == {'unsup.loss_guidance', 'unsup.guidance_coverage',
                                               'unsup.lambda_guidance'}


def test_dida_vl_feature_distance_by_hand_and_with_the_bank():
    set_progress(0, 10)
    model = dida(guidance=GUIDANCE, vl_feature_distance=dict(mask='confident',
                                                             guidance=dict(GUIDE)))
    inputs, samples = uda_batch()
    torch.manual_seed(11)
    losses = model.loss(inputs, samples)
    expected, share = hand_vl_feature_distance(model, inputs, samples, 'confident')
    torch.testing.assert_close(losses['sup.loss_vl_fd'], expected)
    torch.testing.assert_close(losses['sup.vl_fd_share'], share)
    assert 'unsup.loss_ins' in losses and losses['unsup.bank_filled'] > 0
    losses['sup.loss_vl_fd'].backward()
    assert model.student.backbone.conv.weight.grad.abs().sum() > 0
