"""configs/uda_vl/ (issue 21): the leaves are the generator's output, every switch sets
what it says, 'off' is the plain cell, and tiny versions train one iteration."""

import copy
import glob
import importlib.util
import inspect
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import test_uda_configs as plain_cells
from mmseg_semivl.models.backbones import TINY_CLIP_CFG
from mmseg_semivl.models.decode_heads import LanguageGuidedHead

init_default_scope('mmseg')
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
VL = osp.join(REPO, 'configs', 'uda_vl')


def generator():
    spec = importlib.util.spec_from_file_location(
        'make_uda_vl_configs', osp.join(REPO, 'tools', 'make_uda_vl_configs.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = generator()
ORIGINAL_SHRINK = plain_cells.shrink_student
LEAVES = sorted(GEN.all_leaves())


def parts_of(name):
    tail = osp.splitext(name)[0].split('_')[-1]
    return () if tail == 'off' else tuple(tail.split('-'))


def test_the_leaves_are_the_generators_output():
    # The DUDA leaf (a heavy vision-language pair) is written by hand.
    written = sorted(osp.basename(p) for p in glob.glob(osp.join(VL, '*.py')))
    assert [n for n in written if not n.startswith('duda_')] == LEAVES
    for name, text in GEN.all_leaves().items():
        with open(osp.join(VL, name)) as f:
            assert f.read() == text, name
    # every on/off combination: 2^3 for CLIP ViT-B/16; for EVA02 the 6 where VL-FD comes
    # with the language-guided student (the only EVA02 student with a dense CLIP embedding)
    assert len(LEAVES) == 2 * 2 * (8 + 6)
    assert not [n for n in LEAVES if 'eva02' in n and 'vlfd' in n and 'lg' not in n]


@pytest.mark.parametrize('name', LEAVES)
def test_every_switch_sets_its_part(name):
    cfg = Config.fromfile(osp.join(VL, name))
    method, encoder, shift = name.split('_')[:3]
    model, parts = cfg.model, parts_of(name)
    assert model.type == 'DACS' and 'cityscapes' in cfg.test_domains
    plain = Config.fromfile(osp.join(REPO, 'configs', 'uda', f'{method}_{encoder}_{shift}.py'))
    assert cfg.train_dataloader == plain.train_dataloader
    assert cfg.custom_hooks == plain.custom_hooks and cfg.optim_wrapper == plain.optim_wrapper
    if not parts:
        assert model == plain.model
        return
    if 'guid' in parts:
        g = model.clip_guidance
        assert (g.weight, g.schedule, g.temperature, g.source_pixels) == (0.1, 'linear', 100.0,
                                                                         'ignore')
        assert (g.loss.threshold, g.loss.normalizer) == (0.9, 'all')
    else:
        assert 'clip_guidance' not in model
    if 'guid' in parts or 'vlfd' in parts:
        assert model.guidance.type == 'DenseCLIPZeroShot'
        assert (model.guidance.class_definitions, model.guidance.aggregation) == ('cityscapes',
                                                                                  'max')
        # The guidance CLIP is the student's own CLIP family (one embedding space).
        if encoder == 'eva02-l14':
            assert model.guidance.model_name == 'EVA02-L-14'
            assert model.guidance.backbone.type == 'OpenCLIPEVA'
            assert model.guidance.backbone.dense_embedding
            assert model.guidance.pretrained == model.student.backbone.pretrained
        else:
            assert model.guidance.model_name == 'ViT-B-16' and 'backbone' not in model.guidance
    else:
        assert 'guidance' not in model
    if 'vlfd' in parts:
        assert model.vl_feature_distance.mask == 'confident'
        assert model.feature_distance is None  # replaces DAFormer's ImageNet FD
    else:
        assert 'vl_feature_distance' not in model
        assert model.get('feature_distance') == plain.model.get('feature_distance')
    head = model.student.decode_head
    if 'lg' in parts:
        assert head.type == 'LanguageGuidedHead' and model.student.neck is None
        assert head.text_embeddings.class_definitions == 'cityscapes'
        # CLIP ViT-B/16's 512-d text space is LanguageGuidedHead's default
        text_channels = head.get('text_channels', inspect.signature(
            LanguageGuidedHead).parameters['text_channels'].default)
        assert text_channels == {'clip-vitb16': 512, 'eva02-l14': 768}[encoder]
    else:
        assert head == plain.model.student.decode_head
    for key in ('pseudo_weight_ignore_top', 'pseudo_weight_ignore_bottom', 'pseudo_threshold'):
        assert model.get(key) == plain.model.get(key), key


def shrink_vl(cfg, encoder, parts, checkpoint):
    """Tiny encoders (as test_uda_configs), the tiny CLIP as guidance, a tiny LG head."""
    s = cfg.model.student
    if 'lg' not in parts:
        ORIGINAL_SHRINK(cfg, encoder, checkpoint)
    else:
        s.pretrained = None
        head = s.decode_head
        head.update(channels=16, text_proj_channels=16, feedforward_channels=32,
                    aspp_dilations=(1, 2), num_heads=2)
        if encoder == 'clip-vitb16':
            s.backbone.update(model_name='semivl-tiny', model_cfg=copy.deepcopy(TINY_CLIP_CFG),
                              pretrained=checkpoint, img_size=64, skip_blocks=(0, 1))
            head.update(in_channels=(64, 64, 64), text_channels=64)
            head.text_embeddings.update(model_name='semivl-tiny', pretrained=checkpoint,
                                        model_cfg=copy.deepcopy(TINY_CLIP_CFG))
        else:
            s.backbone.update(pretrained=None, out_indices=(0, 1), grad_checkpointing=False,
                              timm_kwargs=dict(embed_dim=32, depth=4, num_heads=2))
            clip32 = copy.deepcopy(TINY_CLIP_CFG)
            clip32['embed_dim'] = 32
            head.update(in_channels=(32, 32, 32), text_channels=32)
            head.text_embeddings.update(model_name='semivl-tiny32', pretrained=None,
                                        model_cfg=clip32)
    guidance = cfg.model.get('guidance')
    if guidance is not None and guidance.get('backbone'):
        # EVA02-CLIP guidance: a tiny random EVA trunk in the tiny students' 32-d space.
        clip32 = copy.deepcopy(TINY_CLIP_CFG)
        clip32['embed_dim'] = 32
        guidance.backbone.update(out_indices=(1, ),
                                 timm_kwargs=dict(embed_dim=32, depth=2, num_heads=2))
        guidance.update(model_name='semivl-tiny32', model_cfg=clip32, pretrained=None)
    elif guidance is not None:
        guidance.update(model_name='semivl-tiny', model_cfg=copy.deepcopy(TINY_CLIP_CFG),
                        pretrained=checkpoint, img_size=64)


@pytest.mark.parametrize('name', ['dacs_clip-vitb16_gta2cs_guid-vlfd-lg.py',
                                  'daformer_clip-vitb16_cs2acdc_vlfd.py',
                                  'daformer_eva02-l14_gta2cs_guid-lg.py',
                                  'dacs_eva02-l14_cs2acdc_vlfd-lg.py'])
def test_one_training_iteration_with_the_vl_parts(name, tmp_path, tiny_clip_checkpoint,
                                                  monkeypatch):
    from mmengine.runner import Runner

    method, encoder = name.split('_')[:2]
    parts = parts_of(name)
    monkeypatch.setattr(plain_cells, 'leaf', lambda *args: osp.join(VL, name))
    monkeypatch.setattr(plain_cells, 'shrink_student',
                        lambda cfg, enc, ckpt: shrink_vl(cfg, enc, parts, ckpt))
    folder = plain_cells.write_folder(tmp_path / 'uda')
    cfg = plain_cells.miniature_cfg(method, encoder, folder, tmp_path / 'work',
                                    tiny_clip_checkpoint)
    runner = Runner.from_cfg(cfg)
    runner.train()
    logs = runner.message_hub.log_scalars
    assert 'train/unsup.loss_mix' in logs
    assert ('train/unsup.loss_guidance' in logs) == ('guid' in parts)
    assert ('train/unsup.guidance_coverage' in logs) == ('guid' in parts)
    assert ('train/unsup.lambda_guidance' in logs) == ('guid' in parts)
    assert ('train/sup.loss_vl_fd' in logs) == ('vlfd' in parts)
    assert ('train/sup.loss_fd' in logs) == (method == 'daformer' and 'vlfd' not in parts)
    model = runner.model
    assert ('frozen.guidance' in model.parts()) == bool({'guid', 'vlfd'} & set(parts))
    ckpt = torch.load(osp.join(cfg.work_dir, 'iter_1.pth'), map_location='cpu',
                      weights_only=False)
    assert not any(k.startswith('guidance.') for k in ckpt['state_dict'])



DUDA_VL = 'duda_eva02-l14-lg-mitb0_gta2cs_guid.py'


def test_duda_with_a_vision_language_heavy_pair_trains_one_iteration(tmp_path,
                                                                     tiny_clip_checkpoint,
                                                                     monkeypatch):
    """The heavy pair is EVA02 + language-guided head with dense CLIP guidance; the light
    MiT-B0 learns from it; only the light student is the predicted (deployed) network."""
    from mmengine.runner import Runner

    cfg = Config.fromfile(osp.join(VL, DUDA_VL))
    model = cfg.model
    assert model.type == 'DUDA' and model.heavy.decode_head.type == 'LanguageGuidedHead'
    assert model.heavy.backbone.type == 'OpenCLIPEVA' and model.heavy.backbone.dense_embedding
    assert model.student.backbone.type == 'MixVisionTransformer'
    assert model.heavy_method.clip_guidance.weight == 0.1
    assert model.heavy_method.guidance.class_definitions == 'cityscapes'

    def shrink(cfg, encoder, checkpoint):
        heavy = Config(dict(model=dict(student=cfg.model.heavy,
                                       guidance=cfg.model.heavy_method.guidance)))
        shrink_vl(heavy, 'eva02-l14', ('guid', 'lg'), checkpoint)
        light = cfg.model.student
        light.backbone.update(embed_dims=8, num_layers=[1, 1, 1, 1], num_heads=[1, 2, 4, 8],
                              init_cfg=None)
        light.decode_head.update(in_channels=[8, 16, 32, 64], channels=16, embed_dims=16)
        cfg.model.heavy_method.feature_distance.classes = None  # 5 miniature classes
        cfg.model.pre_adapt_iters = 0  # the adaptation stage at once

    monkeypatch.setattr(plain_cells, 'leaf', lambda *args: osp.join(VL, DUDA_VL))
    monkeypatch.setattr(plain_cells, 'shrink_student', shrink)
    folder = plain_cells.write_folder(tmp_path / 'uda')
    cfg = plain_cells.miniature_cfg('duda', 'eva02-l14', folder, tmp_path / 'work',
                                    tiny_clip_checkpoint)
    # bf16 AMP needs a GPU: the fp32 wrapper of the same schedule on CPU.
    cfg.optim_wrapper.type = 'NonFiniteSkipOptimWrapper'
    cfg.optim_wrapper.pop('dtype')
    runner = Runner.from_cfg(cfg)
    runner.train()
    logs = runner.message_hub.log_scalars
    assert any('loss_guidance' in k for k in logs), sorted(logs)
    # The heavy pair's DACS step with dense CLIP guidance; the light student's DUDA terms
    # (iteration 0 of the hard -> soft ramp: the hard pseudo-label term and the
    # inconsistency loss).
    for key in ('heavy.unsup.loss_guidance', 'heavy.unsup.guidance_coverage',
                'heavy.unsup.lambda_guidance', 'heavy.unsup.loss_mix', 'unsup.loss_hard',
                'unsup.loss_inc', 'sup.decode.loss_ce'):
        assert f'train/{key}' in logs, key
    net = runner.model
    assert net.predict_model is net.student  # the light student is deployed
    assert type(net.heavy.student.decode_head).__name__ == 'LanguageGuidedHead'
    ckpt = torch.load(osp.join(cfg.work_dir, 'iter_1.pth'), map_location='cpu',
                      weights_only=False)
    assert not any('guidance.' in k for k in ckpt['state_dict'])
    assert any(k.startswith('heavy.teacher.') for k in ckpt['state_dict'])


def test_the_readme_recipe_for_an_adversarial_method_resolves(tmp_path):
    """configs/uda_vl/README.md, "Other methods": the switch variables merged into an
    adversarial cell (VL-FD without DACS's feature_distance key) give that model."""
    import re
    with open(osp.join(VL, 'README.md')) as f:
        recipe = re.search(r'```python\n(.*?)```', f.read(), re.S).group(1)
    path = osp.join(VL, '_readme_recipe_test.py')  # relative bases resolve from here
    try:
        with open(path, 'w') as f:
            f.write(recipe)
        cfg = Config.fromfile(path)
    finally:
        if osp.exists(path):
            import os
            os.remove(path)
    model = cfg.model
    assert model.type == 'AdvEnt' and model.guidance.type == 'DenseCLIPZeroShot'
    assert model.clip_guidance.weight == 0.1 and model.vl_feature_distance.mask == 'confident'
    assert 'feature_distance' not in model
    assert model.student.decode_head.type == 'LanguageGuidedHead'
    assert set(model) - set(Config.fromfile(osp.join(
        REPO, 'configs', 'uda', 'advent_clip-vitb16_gta2cs.py')).model) == {
            'guidance', 'clip_guidance', 'vl_feature_distance'}
