"""tools/export_student.py on a toy DUDA checkpoint: the plain MMSeg model it writes
predicts what the trained light student predicts (the miniature run with real encoders
is in tests/test_configs/test_duda_configs.py)."""
import os.path as osp
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmseg.registry import MODELS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(REPO, 'tests', 'test_models', 'test_segmentors'))
from toy_modules import toy_student  # noqa: E402

import tools.export_student as export  # noqa: E402

PRE = dict(type='SemiSegDataPreProcessor', mean=[1.0, 2.0, 3.0], std=[2.0, 2.0, 2.0],
           bgr_to_rgb=True, size=(16, 16))


@pytest.fixture
def duda_checkpoint(tmp_path):
    with DefaultScope.overwrite_default_scope('mmseg'):
        model_cfg = dict(type='DUDA', student=toy_student(), heavy=toy_student(),
                         data_preprocessor=PRE)
        torch.manual_seed(0)
        model = MODELS.build(model_cfg)
        model.init_weights()
        with torch.no_grad():  # the light student differs from its initialisation
            for p in model.student.parameters():
                p.mul_(1.5).add_(0.1)
    cfg = Config(dict(model=model_cfg, default_scope='mmseg',
                      custom_imports=dict(imports=['mmseg_semivl'], allow_failed_imports=False),
                      test_cfg=dict(type='TestLoop')))
    cfg_path = str(tmp_path / 'duda.py')
    cfg.dump(cfg_path)
    ckpt = str(tmp_path / 'duda.pth')
    torch.save(dict(state_dict=model.state_dict(), meta=dict(dataset_meta=dict(
        classes=('a', 'b', 'c')), other='dropped')), ckpt)
    return model, cfg_path, ckpt


def test_export_writes_the_light_student_only(duda_checkpoint, tmp_path):
    from mmseg.apis import init_model
    model, cfg_path, ckpt = duda_checkpoint
    out_cfg, out_ckpt = export.export_student(cfg_path, ckpt, str(tmp_path / 'out'))
    cfg = Config.fromfile(out_cfg)
    assert cfg.model.type == 'EncoderDecoder' and 'heavy' not in cfg.model
    pre = cfg.model.data_preprocessor
    assert pre.type == 'SegDataPreProcessor' and pre.mean == [1.0, 2.0, 3.0]
    assert pre.bgr_to_rgb and 'size' not in pre
    saved = torch.load(out_ckpt, map_location='cpu', weights_only=False)
    assert set(saved['state_dict']) == {k[len('student.'):] for k in model.state_dict()
                                        if k.startswith('student.')}
    assert saved['meta']['dataset_meta'] == dict(classes=('a', 'b', 'c'))
    assert 'other' not in saved['meta'] and saved['meta']['exported_from']['model_type'] == 'DUDA'
    plain = init_model(out_cfg, out_ckpt, device='cpu')
    x = torch.randn(2, 3, 16, 16)
    metas = [dict(img_shape=(16, 16))] * 2
    with torch.no_grad():
        torch.testing.assert_close(plain.encode_decode(x, metas),
                                   model.student.encode_decode(x, metas))
        assert not torch.allclose(plain.encode_decode(x, metas),
                                  model.heavy.student.encode_decode(x, metas))


def test_pretrained_initialisers_are_dropped_and_errors_name_the_keys():
    cfg = Config(dict(model=dict(
        type='DUDA', data_preprocessor=PRE,
        student=dict(type='EncoderDecoder', pretrained='x.pth',
                     backbone=dict(type='B', init_cfg=dict(type='Pretrained', checkpoint='y')),
                     decode_head=dict(type='H')))))
    student = export.student_config(cfg)
    assert 'pretrained' not in student and student.backbone.init_cfg is None
    with pytest.raises(KeyError, match=r"no 'student\.' keys .*\['backbone'\]"):
        export.student_state_dict({'backbone.w': torch.zeros(1)})
    with pytest.raises(KeyError, match='not a teacher-student config'):
        export.student_config(Config(dict(model=dict(type='EncoderDecoder'))))


def test_command_line(duda_checkpoint, tmp_path, capsys):
    _, cfg_path, ckpt = duda_checkpoint
    assert export.main([cfg_path, ckpt, '--out-dir', str(tmp_path / 'cli')]) == 0
    assert osp.isfile(tmp_path / 'cli' / 'student.py')
    assert 'student checkpoint' in capsys.readouterr().out
