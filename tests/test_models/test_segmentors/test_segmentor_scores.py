"""SegmentorScores: a trained segmentor as the frozen reference of dense guidance."""
import pytest
import torch
from mmseg.registry import MODELS

from test_dacs import SIZE, dacs, uda_batch
from toy_modules import NUM_CLASSES, toy_student


def saved_student(tmp_path, prefix='student.', extra=True):
    torch.manual_seed(3)
    net = MODELS.build(toy_student())
    state = {prefix + k: v for k, v in net.state_dict().items()}
    if extra:  # a teacher-student checkpoint also holds the teacher
        state.update({'teacher.' + k: v + 1 for k, v in net.state_dict().items()})
    path = tmp_path / 'reference.pth'
    torch.save(dict(state_dict=state), path)
    return net.eval(), str(path)


@pytest.mark.parametrize('prefix, extra', [('student.', True), ('', False)])
def test_scores_are_the_saved_networks_logits(tmp_path, prefix, extra):
    net, path = saved_student(tmp_path, prefix, extra)
    scores = MODELS.build(dict(type='SegmentorScores', segmentor=toy_student(),
                               checkpoint=path))
    x = torch.randn(2, 3, SIZE, SIZE)
    expected = net.decode_head(net.extract_feat(x))
    torch.testing.assert_close(scores(x), expected, rtol=0, atol=0)
    assert scores.num_classes == NUM_CLASSES
    assert not any(p.requires_grad for p in scores.parameters())


def test_a_checkpoint_of_another_network_is_named(tmp_path):
    path = tmp_path / 'other.pth'
    torch.save(dict(state_dict={'student.backbone.unknown': torch.zeros(1)}), path)
    with pytest.raises(KeyError, match="'.*other.pth' does not fit the segmentor config"):
        MODELS.build(dict(type='SegmentorScores', segmentor=toy_student(),
                          checkpoint=str(path)))


def test_planted_reference_guides_dacs_with_its_own_argmax(tmp_path):
    net, path = saved_student(tmp_path)
    model = dacs(guidance=dict(type='SegmentorScores', segmentor=toy_student(),
                               checkpoint=path),
                 clip_guidance=dict(weight=0.1, temperature=1.0, mean=None, std=None))
    model.init_weights()  # must not re-initialise the planted weights
    inputs, _ = uda_batch()
    target = inputs['weak']
    conf, label = model.dense_guidance.targets(model.guidance, target)
    logits = torch.nn.functional.interpolate(net.decode_head(net.extract_feat(target)),
                                             size=target.shape[-2:], mode='bilinear',
                                             align_corners=False)
    probs = logits.softmax(dim=1)
    torch.testing.assert_close(conf, probs.max(dim=1).values)
    assert torch.equal(label, probs.argmax(dim=1))
    assert 'frozen.guidance' in model.parts()
