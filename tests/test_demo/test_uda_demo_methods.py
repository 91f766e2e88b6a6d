"""The UDA demo's method configs (mmseg_semivl/demo/uda_demo.py): every guided method is
its plain method plus the guidance keys, nothing else."""

import pytest
from mmengine.config import Config

from mmseg_semivl.demo.uda_demo import UDA_DEMO_CONFIG, VL_BASELINE, method_config


@pytest.mark.parametrize('method', sorted(VL_BASELINE))
def test_a_guided_method_is_its_plain_method_plus_guidance(method):
    base = Config.fromfile(UDA_DEMO_CONFIG)
    guided = method_config(base, method, 5, guidance_weight=1.0, planted='ref.pth')
    plain = method_config(base, VL_BASELINE[method], 5)
    assert guided.model.type == plain.model.type == {
        'dacs': 'DACS', 'dida': 'DIDA', 'advent': 'AdvEnt'}[VL_BASELINE[method]]
    assert set(guided.model) - set(plain.model) == {'guidance', 'clip_guidance'}
    assert {k: v for k, v in guided.model.items() if k not in ('guidance', 'clip_guidance')} \
        == plain.model.to_dict()
    assert guided.model.clip_guidance.weight == 1.0
    if method.endswith('-planted'):
        assert guided.model.guidance.type == 'SegmentorScores'
        assert guided.model.guidance.checkpoint == 'ref.pth'
        assert guided.model.guidance.segmentor == plain.model.student
        assert guided.model.clip_guidance.temperature == 1.0
    else:
        assert guided.model.guidance.type == 'DenseCLIPZeroShot'
    for key in ('optim_wrapper', 'param_scheduler', 'custom_hooks', 'train_dataloader'):
        assert guided[key] == plain[key], key
