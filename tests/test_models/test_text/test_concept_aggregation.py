import mmseg_semivl  # noqa: F401

import pytest
import torch
import torch.nn.functional as F

from mmseg_semivl.models.text import aggregate_concepts


def test_max_over_concepts_picks_class_of_best_concept():
    # Three classes; class 0 owns concepts 0-2, class 1 concept 3, class 2 concepts 4-5.
    concept_to_class = torch.tensor([0, 0, 0, 1, 2, 2])
    texts = F.normalize(torch.tensor([
        [1., 0., 0.], [0.8, 0.6, 0.], [0., 0., 1.],  # class 0 includes an off-axis concept
        [0., 1., 0.],
        [0.6, 0.8, 0.], [-1., 0., 0.],
    ]), dim=1)
    pixels = F.normalize(torch.tensor([[0., 0., 1.], [0., 1., 0.], [0.5, 0.9, 0.]]), dim=1)
    scores = torch.einsum('pd,kd->kp', pixels, texts).reshape(1, 6, 1, 3)
    classes = aggregate_concepts(scores, concept_to_class, 3)
    assert classes.shape == (1, 3, 1, 3)
    # pixel 0 matches concept 2 (class 0) exactly; pixel 1 concept 3 (class 1);
    # pixel 2 is closest to concept 4 (class 2) although class 1's only concept is close too.
    assert classes.argmax(1).flatten().tolist() == [0, 1, 2]
    assert torch.allclose(classes[0, :, 0, 2], torch.stack([
        scores[0, :3, 0, 2].max(), scores[0, 3, 0, 2], scores[0, 4:, 0, 2].max()]))


def test_gradient_reaches_only_winning_concept():
    scores = torch.tensor([0.1, 0.7, 0.3]).view(1, 3, 1, 1).requires_grad_()
    aggregate_concepts(scores, torch.tensor([0, 0, 1]), 2).sum().backward()
    assert scores.grad.flatten().tolist() == [0.0, 1.0, 1.0]


def test_one_concept_per_class_is_identity_and_errors():
    scores = torch.randn(2, 4, 3, 3)
    assert aggregate_concepts(scores, torch.arange(4), 4) is scores
    with pytest.raises(ValueError, match=r'concepts per class: \[2, 0, 1\]'):
        aggregate_concepts(torch.randn(1, 3, 2, 2), torch.tensor([0, 0, 2]), 3)
    with pytest.raises(ValueError, match='do not match 2 concepts'):
        aggregate_concepts(scores, torch.tensor([0, 1]), 2)
