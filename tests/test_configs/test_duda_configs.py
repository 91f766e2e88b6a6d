"""DUDA configs: every leaf loads and builds (tiny encoders); a miniature run whose stage
switch survives resume, whose checkpoint MMSeg's init_model serves as the light student,
and whose exported light student (tools/export_student.py) predicts the same logits."""

import copy
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

from test_uda_configs import NUM_CLASSES, miniature_cfg, write_folder

init_default_scope('mmseg')
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DUDA = osp.join(REPO, 'configs', 'duda')
LIGHTS = dict(mitb0='MixVisionTransformer', mitb1='MixVisionTransformer', r101='ResNetV1c')
SHIFTS = ('gta2cs', 'synthia2cs', 'cs2acdc', 'cs2darkzurich')


@pytest.mark.parametrize('heavy, encoder', [('mitb5', 'mitb5'), ('eva02-l14-lg', 'eva02-l14-lg')])
def test_a_heavy_base_exports_its_heavy_student_alone(heavy, encoder):
    """A leaf composes a heavy base with a light encoder base: MMEngine refuses a name
    defined in two bases, so the heavy base must export nothing but ``heavy_student``."""
    base = osp.join(REPO, 'configs', '_base_', 'uda')
    cfg = Config.fromfile(osp.join(base, 'heavy', f'{heavy}.py'))
    assert set(cfg.keys()) == {'heavy_student'}
    student = Config.fromfile(osp.join(base, 'encoders', f'{encoder}.py')).student.to_dict()
    heavy_student = cfg.heavy_student.to_dict()
    # The encoder's student, with activation checkpointing where the heavy base adds it.
    heavy_student['backbone'].pop('with_cp', None)
    student['backbone'].pop('with_cp', None)
    assert heavy_student == student


def leaf(light, shift):
    return osp.join(DUDA, f'duda_mitb5-{light}_{shift}.py')


def shrink(segmentor):
    """Tiny MiT (embed 8) or ResNet-18 in place of the full encoder; the types stay."""
    segmentor.pretrained = None
    head = segmentor.decode_head
    if segmentor.backbone.type == 'ResNetV1c':
        segmentor.backbone.depth = 18
        head.update(in_channels=512, init_cfg=None)
    else:
        segmentor.backbone.update(embed_dims=8, num_layers=[1, 1, 1, 1], num_heads=[1, 2, 4, 8],
                                  init_cfg=None)
        head.update(in_channels=[8, 16, 32, 64], channels=16, embed_dims=16)


def test_every_leaf_exists():
    expected = {leaf(lt, s) for lt in LIGHTS for s in SHIFTS}
    assert expected == set(glob.glob(osp.join(DUDA, 'duda_*.py')))


@pytest.mark.parametrize('light', sorted(LIGHTS))
@pytest.mark.parametrize('shift', SHIFTS)
def test_leaf_loads_and_builds(light, shift):
    cfg = Config.fromfile(leaf(light, shift))
    model = cfg.model
    assert model.type == 'DUDA' and model.heavy_method.type == 'DUDASelfTraining'
    assert model.student.backbone.type == LIGHTS[light]
    assert model.heavy.backbone.type == 'MixVisionTransformer'
    assert model.heavy.backbone.embed_dims == 64 and model.heavy.backbone.num_layers == [
        3, 6, 40, 3]  # MiT-B5
    assert model.heavy.backbone.with_cp and not model.student.backbone.get('with_cp', False)
    embed = dict(mitb0=32, mitb1=64).get(light)
    if embed:
        assert model.student.backbone.embed_dims == embed
    else:
        assert model.student.backbone.depth == 101
        assert model.student.decode_head.type == 'DLV2Head'
    assert cfg.optim_wrapper.type == 'NonFiniteSkipAmpOptimWrapper'
    assert cfg.optim_wrapper.dtype == 'bfloat16'
    ema = [h for h in cfg.custom_hooks if h.type == 'EMATeacherHook']
    assert len(ema) == 1 and ema[0].momentum == pytest.approx(0.001)  # DAFormer's alpha
    assert model.heavy_method.feature_distance.loss_weight == 0.005
    crop = (15, 120) if shift.endswith('2cs') else (0, 0)
    assert (model.heavy_method.pseudo_weight_ignore_top,
            model.heavy_method.pseudo_weight_ignore_bottom) == crop
    assert model.pre_adapt_iters == 4000 and cfg.train_cfg.max_iters == 40000
    # the heavy pair's DAFormer data: rare-class sampling on every source
    assert cfg.train_dataloader.sampler.type == 'RareClassMultiSourceSampler'
    assert cfg.train_dataloader.dataset.rare_class_sampling.temperature == 0.01
    shrink(model.student)
    shrink(model.heavy)
    built = MODELS.build(model)
    assert type(built.student.backbone).__name__ == LIGHTS[light]
    assert built.heavy.student.backbone.with_cp
    assert built.heavy.frozen_names == ('imnet_model', )  # DAFormer's FD reference


def duda_miniature(folder, work_dir, iters, resume=False):
    """The MiT-B0 GTA -> CS leaf on the folder miniature, pre-adaptation of 2 iterations."""
    base = miniature_cfg('daformer', 'mitb5', folder, work_dir, None)
    cfg = Config.fromfile(leaf('mitb0', 'gta2cs'))
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader', 'val_evaluator',
                'test_evaluator', 'param_scheduler', 'default_hooks', 'randomness'):
        cfg[key] = copy.deepcopy(base[key])
    shrink(cfg.model.student)
    shrink(cfg.model.heavy)
    for part in (cfg.model.student, cfg.model.heavy):
        part.decode_head.num_classes = NUM_CLASSES
    cfg.model.data_preprocessor.size = (64, 64)
    cfg.model.pre_adapt_iters = 2
    cfg.model.distillation.schedule.ramp_iters = 2
    cfg.optim_wrapper.type = 'NonFiniteSkipOptimWrapper'  # no AMP on the CPU
    cfg.optim_wrapper.pop('dtype')
    cfg.train_cfg.update(max_iters=iters, val_interval=100)
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.default_hooks.checkpoint.update(interval=1)
    cfg.work_dir = str(work_dir)
    cfg.resume = resume
    return cfg


def test_miniature_stage_switch_survives_resume(tmp_path):
    from mmengine.runner import Runner
    folder = write_folder(tmp_path / 'uda')

    def run(work, iters, resume=False):
        runner = Runner.from_cfg(duda_miniature(folder, work, iters, resume))
        runner.train()
        logs = runner.message_hub.log_scalars
        return ({k: v.clone() for k, v in runner.model.state_dict().items()},
                logs['train/unsup.stage'].current(), 'train/unsup.loss_inc' in logs)

    straight, stage, inc = run(tmp_path / 'a', 3)
    assert stage == 1.0 and inc  # iteration index 2 >= pre_adapt_iters
    _, stage2, inc2 = run(tmp_path / 'b', 2)
    assert stage2 == 0.0 and not inc2  # iterations 0, 1: pre-adaptation
    torch.manual_seed(1234)
    resumed, stage3, inc3 = run(tmp_path / 'b', 3, resume=True)
    assert stage3 == 1.0 and inc3  # the resumed iteration is index 2, not 0
    assert straight.keys() == resumed.keys()
    assert {'class_inconsistency'} <= set(straight)
    for key in straight:
        torch.testing.assert_close(resumed[key], straight[key], atol=0, rtol=0, msg=key)


def test_init_model_and_the_exported_student_are_the_light_model(tmp_path):
    from mmengine.runner import Runner
    from mmseg.apis import inference_model, init_model

    import tools.export_student as export
    folder = write_folder(tmp_path / 'uda')
    cfg = duda_miniature(folder, tmp_path / 'work', 1)
    runner = Runner.from_cfg(cfg)
    runner.train()
    trained = runner.model.eval()
    ckpt = osp.join(cfg.work_dir, 'iter_1.pth')
    image = str(folder / 'target_val' / 'images' / '0.png')
    cfg.test_pipeline = copy.deepcopy(cfg.test_dataloader.dataset.pipeline)
    cfg_path = tmp_path / 'duda.py'
    cfg.dump(str(cfg_path))
    # MMSeg's init_model on the DUDA checkpoint: the light student predicts
    model = init_model(str(cfg_path), ckpt, device='cpu')
    assert model.predict_model is model.student
    duda_logits = inference_model(model, image).seg_logits.data
    x = torch.randn(1, 3, 64, 96)
    metas = [dict(img_shape=(64, 96), ori_shape=(64, 96))]
    with torch.no_grad():
        light = trained.student.encode_decode(x, metas)
        heavy = trained.heavy.student.encode_decode(x, metas)
        torch.testing.assert_close(model.encode_decode(x, metas), light)
    assert not torch.allclose(light, heavy)
    # tools/infer.py's loader (init_semivl_model) on the same checkpoint: the light student
    from mmseg_semivl.apis.model_init import init_semivl_model
    served = init_semivl_model(str(cfg_path), ckpt, device='cpu')
    with torch.no_grad():
        torch.testing.assert_close(served.encode_decode(x, metas), light)
    # the export: a plain MMSeg model of the light student's config only
    out_cfg, out_ckpt = export.export_student(str(cfg_path), ckpt, str(tmp_path / 'out'))
    exported_cfg = Config.fromfile(out_cfg)
    assert exported_cfg.model.type == 'HeadSyncedEncoderDecoder'
    assert 'heavy' not in exported_cfg.model and 'student' not in exported_cfg.model
    state = torch.load(out_ckpt, map_location='cpu', weights_only=False)['state_dict']
    assert not any(k.startswith(('student.', 'heavy.')) for k in state)
    plain = init_model(out_cfg, out_ckpt, device='cpu')
    assert type(plain).__name__ == 'HeadSyncedEncoderDecoder'
    assert sum(p.numel() for p in plain.parameters()) == sum(
        p.numel() for p in trained.student.parameters())
    with torch.no_grad():
        torch.testing.assert_close(plain.encode_decode(x, metas), light)
    torch.testing.assert_close(inference_model(plain, image).seg_logits.data, duda_logits)
