"""The DIDA configs: what the base sets, ablation leaves as one-key overrides of the main
leaf, and real training on a generated miniature (tiny encoders, 64 px): one iteration of
each DIDA leaf and an exact resume, instance bank included."""

import copy
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmseg.registry import MODELS

from test_uda_configs import miniature_cfg_of, shrink_student, write_folder

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DIDA_DIR = osp.join(REPO, 'configs', 'dida')
MAIN = osp.join(DIDA_DIR, 'dida_mitb5_gta2cs.py')
#: Ablation leaf -> (the model key it changes, its value); the main leaf has K = 300,
#: tp = 0.1, lambda = 1.0 (the paper's choices).
ABLATIONS = {
    **{f'dida_mitb5_gta2cs_k{k}': (('instance_bank', 'num_entries'), k)
       for k in (100, 150, 200, 250)},
    **{f'dida_mitb5_gta2cs_tp{t}': (('temperature', ), t) for t in (0.05, 0.2)},
    **{f'dida_mitb5_gta2cs_lambda{v}': (('loss_instance', 'loss_weight'), v)
       for v in (0.05, 0.1, 0.5, 2.0)},
}


def get(node, keys):
    for key in keys:
        node = node[key]
    return node


def test_main_leaf_sets_the_paper_values_over_daformer():
    cfg = Config.fromfile(MAIN)
    m = cfg.model
    assert m.type == 'DIDA'
    assert m.instance_bank.num_entries == 300 and m.instance_bank.momentum == 0.999
    assert m.temperature == 0.1 and m.loss_instance.loss_weight == 1.0
    assert m.fuse_instance_to_semantic and m.fuse_semantic_to_instance
    assert m.semantic_fusion == 'product'
    # DAFormer underneath: FD, EMA 0.999, RCS, pseudo-label crop
    assert m.feature_distance.loss_weight == 0.005
    ema = [h for h in cfg.custom_hooks if h.type == 'EMATeacherHook']
    assert len(ema) == 1 and 1 - ema[0].momentum == pytest.approx(0.999)
    assert cfg.train_dataloader.sampler.type == 'RareClassMultiSourceSampler'
    assert (m.pseudo_weight_ignore_top, m.pseudo_weight_ignore_bottom) == (15, 120)
    assert m.student.backbone.type == 'MixVisionTransformer'
    eva = Config.fromfile(osp.join(DIDA_DIR, 'dida_eva02-l14_gta2cs.py')).model
    assert eva.type == 'DIDA' and eva.student.backbone.type == 'OpenCLIPEVA'
    assert eva.feature_distance.allow_non_imagenet
    syn = Config.fromfile(osp.join(DIDA_DIR, 'dida_mitb5_synthia2cs.py'))
    assert syn.model.type == 'DIDA'
    assert 'synthia' in str(syn.train_dataloader.dataset.datasets[0]).lower()


@pytest.mark.parametrize('name', sorted(ABLATIONS))
def test_ablation_leaf_changes_one_value_and_builds(name):
    path = osp.join(DIDA_DIR, name + '.py')
    lines = [ln for ln in open(path).read().splitlines() if ln.strip()]
    assert len(lines) == 2 and lines[0].startswith("_base_ = './dida_mitb5_gta2cs.py'")
    keys, value = ABLATIONS[name]
    cfg, main = Config.fromfile(path), Config.fromfile(MAIN)
    assert get(cfg.model, keys) == value != get(main.model, keys)
    changed = copy.deepcopy(cfg.model.to_dict())
    get(changed, keys[:-1])[keys[-1]] = get(main.model, keys)
    assert changed == main.model.to_dict()  # nothing else differs
    assert cfg.train_cfg == main.train_cfg and cfg.param_scheduler == main.param_scheduler
    shrink_student(cfg, 'mitb5', None)
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = MODELS.build(cfg.model)
    built = dict(instance_bank=model.instance_bank.num_entries, temperature=model.temperature,
                 loss_instance=model.loss_instance.loss_weight)
    assert built[keys[0]] == value
    assert model.instance_bank.features.shape[1] == 16  # the head's channels (shrunk)
    assert model.loss_instance.temperature == model.temperature


def miniature(path, encoder, folder, work_dir):
    return miniature_cfg_of(path, encoder, folder, work_dir, None, validate=False)


@pytest.mark.parametrize('leaf,encoder', [('dida_mitb5_gta2cs', 'mitb5'),
                                          ('dida_eva02-l14_gta2cs', 'eva02-l14')])
def test_one_training_iteration_of_the_dida_config(leaf, encoder, tmp_path):
    from mmengine.runner import Runner

    folder = write_folder(tmp_path / 'uda')
    cfg = miniature(osp.join(DIDA_DIR, leaf + '.py'), encoder, folder, tmp_path / 'work')
    runner = Runner.from_cfg(cfg)
    runner.train()
    model = runner.model
    assert runner.iter == 1 and type(model).__name__ == 'DIDA'
    logs = runner.message_hub.log_scalars
    for key in ('sup.decode.loss_ce', 'sup.loss_fd', 'unsup.loss_mix', 'unsup.loss_ins'):
        assert f'train/{key}' in logs, key
    ins = logs['train/unsup.loss_ins'].current()
    assert ins > 0 and torch.isfinite(torch.tensor(ins))
    bank = model.instance_bank
    # the miniature's source labels hold classes 0 and 13: their first slots (2 images
    # -> 2 slots each), nothing else
    filled = set(bank.labels[bank.filled].tolist())
    assert filled == {0, 13} and int(bank.filled.sum()) == 4
    ckpt = torch.load(osp.join(cfg.work_dir, 'iter_1.pth'), map_location='cpu',
                      weights_only=False)
    assert torch.equal(ckpt['state_dict']['instance_bank.features'], bank.features.cpu())


def test_resume_restores_the_bank_exactly(tmp_path):
    """2 iterations straight == 1 iteration, a new process state, resume, 1 more."""
    from mmengine.runner import Runner

    folder = write_folder(tmp_path / 'uda')

    def run(work, iters, resume=False):
        cfg = miniature(MAIN, 'mitb5', folder, work)
        cfg.train_cfg.update(max_iters=iters)
        cfg.resume = resume
        runner = Runner.from_cfg(cfg)
        runner.train()
        return {k: v.clone() for k, v in runner.model.state_dict().items()}

    straight = run(tmp_path / 'a', 2)
    first = run(tmp_path / 'b', 1)
    torch.manual_seed(1234)  # a different process state must not matter
    resumed = run(tmp_path / 'b', 2, resume=True)
    assert straight['instance_bank.num_updates'].item() == 2
    assert not torch.equal(first['instance_bank.features'], straight['instance_bank.features'])
    assert straight.keys() == resumed.keys()
    for key in straight:
        torch.testing.assert_close(resumed[key], straight[key], atol=0, rtol=0, msg=key)
