"""Adversarial UDA configs: composition, and real iterations of every config family on
generated miniatures (tiny encoders at 64 px), each optimizer's lr schedule, and resume
from a checkpoint with both optimizers and their schedulers."""

import copy
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.runner import Runner

from config_helpers import CONFIG_ROOT, load_config, loader_cfg, shrink_pipelines
from mmseg_semivl.models.backbones import TINY_SCENES_CLIP_CFG

CROP = 64
METHODS = {'adaptsegnet': 'AdvSeg', 'advent': 'AdvEnt', 'minent': 'MinEnt'}
ENCODERS = ('r101', 'mitb5', 'clip-vitb16', 'eva02-l14')
PAIRS = ('gta2cs', 'cs2acdc')
ADVERSARIAL_CONFIGS = sorted(p for p in (CONFIG_ROOT / 'uda').glob('*.py')
                             if p.stem.split('_')[0] in METHODS)


def _config(method, encoder, pair):
    return CONFIG_ROOT / 'uda' / f'{method}_{encoder}_{pair}.py'


def test_every_method_encoder_pair_has_a_config():
    expected = {_config(m, e, d) for m in METHODS for e in ENCODERS for d in PAIRS}
    assert expected <= set(ADVERSARIAL_CONFIGS)


@pytest.mark.parametrize('path', ADVERSARIAL_CONFIGS, ids=lambda p: p.stem)
def test_config_facts(path):
    cfg = load_config(path)
    method = path.stem.split('_')[0]
    assert cfg.model.type == METHODS[method]
    assert cfg.model.student.decode_head.num_classes == 19
    seg = cfg.optim_wrapper.segmentor
    assert cfg.optim_wrapper.constructor == 'SubmoduleOptimWrapperConstructor'
    assert seg.module == 'student' and seg.optimizer.type == 'SGD'
    assert seg.optimizer.momentum == 0.9 and seg.optimizer.weight_decay == 5e-4
    original = path.stem.endswith('_original')
    assert seg.optimizer.lr == (2.5e-4 if original else 2.5e-3)
    if method == 'minent':
        assert cfg.optim_wrapper.discriminator is None
        assert cfg.model.lambda_ent == dict(main=0.001, aux=0.0002)
    else:
        disc = cfg.optim_wrapper.discriminator
        assert disc.module == 'discriminators'
        assert disc.optimizer == dict(type='Adam', lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0)
        assert cfg.model.lambda_adv == dict(main=0.001, aux=0.0002)
        assert cfg.model.source_label == 0.0 and cfg.model.target_label == 1.0
        assert cfg.param_scheduler.discriminator[-1].power == 0.9
    if 'r101' in path.stem:
        assert cfg.model.student.auxiliary_head.loss_decode.loss_weight == 0.1
    if not original:
        warmup, poly = cfg.param_scheduler.segmentor
        assert (warmup.type, warmup.end, poly.power, poly.end) == ('LinearLR', 1500, 1.0, 40000)
        assert cfg.train_cfg.max_iters == 40000
    else:
        assert cfg.train_cfg.max_iters == 120000
        assert cfg.param_scheduler.segmentor[0].end == 250000


# ---------------------------------------------------------------------------- tiny runs
def _tinify(cfg, encoder):
    student = cfg.model.student
    student.pretrained = None
    if encoder == 'r101':
        student.backbone.update(depth=18, base_channels=8, stem_channels=8, init_cfg=None)
        student.decode_head.in_channels = 64
        student.auxiliary_head.in_channels = 32
    elif encoder == 'mitb5':
        student.backbone.update(embed_dims=8, num_layers=[1, 1, 1, 1], num_heads=[1, 2, 4, 8],
                                init_cfg=None)
        student.decode_head.update(in_channels=[8, 16, 32, 64], channels=16, embed_dims=16)
    elif encoder == 'clip-vitb16':
        # The shipped tiny CLIP pretrained on generated scenes (3 blocks, width 96, patch 8).
        student.backbone.update(model_name='semivl-tiny-scenes',
                                model_cfg=copy.deepcopy(TINY_SCENES_CLIP_CFG),
                                pretrained='mmseg_semivl:tiny-scenes', img_size=CROP,
                                skip_blocks=(0, 1, 2))
        student.neck.update(in_channels=[96] * 4, out_channels=16)
        student.decode_head.update(in_channels=[16] * 4, channels=16, embed_dims=16)
    elif encoder == 'eva02-l14':
        # A 4-block EVA02 of width 32 (EVA02-L's patch 14, SwiGLU, rotary), random init.
        student.backbone.update(pretrained=None, out_indices=(0, 1, 2, 3), img_size=CROP,
                                grad_checkpointing=False,
                                timm_kwargs=dict(embed_dim=32, depth=4, num_heads=2))
        student.neck.embed_dim = 32
        student.decode_head.update(in_channels=[32] * 4, channels=16, embed_dims=16)
    cfg.model.data_preprocessor.size = (CROP, CROP)


def _write(path: Path, array: np.ndarray) -> None:
    import cv2
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), array)


def _miniature(cfg, pair, root: Path) -> None:
    """Two source, two target and two validation images (48 x 64) in the real layouts."""
    rng = np.random.default_rng(0)
    image = lambda: rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)  # noqa: E731
    label = lambda: rng.choice(list(range(19)) + [255], (48, 64)).astype(np.uint8)  # noqa

    def cityscapes(base: Path, split: str) -> None:
        for i in range(2):
            stem = f'aachen_{i:06d}_000019'
            _write(base / 'leftImg8bit' / split / 'aachen' / f'{stem}_leftImg8bit.png', image())
            _write(base / 'gtFine' / split / 'aachen' / f'{stem}_gtFine_labelTrainIds.png',
                   label())

    source, target = cfg.train_dataloader.dataset.datasets
    if pair == 'gta2cs':
        for i in range(1, 3):
            _write(root / 'gta' / 'images' / f'{i:05d}.png', image())
            _write(root / 'gta' / 'labels' / f'{i:05d}_labelTrainIds.png', label())
        cityscapes(root / 'cs', 'train')
        cityscapes(root / 'cs', 'val')
        source.data_root = str(root / 'gta')
        target.data_root = cfg.val_dataloader.dataset.data_root = str(root / 'cs')
    else:
        cityscapes(root / 'cs', 'train')
        for condition in ('fog', 'night', 'rain', 'snow'):
            for split in ('train', 'val'):
                stem = f'GOPR0475_frame_{condition}0'
                base = f'{condition}/{split}/GOPR0475/{stem}'
                _write(root / 'acdc' / 'rgb_anon' / f'{base}_rgb_anon.png', image())
                _write(root / 'acdc' / 'gt' / f'{base}_gt_labelTrainIds.png', label())
        source.data_root = str(root / 'cs')
        target.data_root = cfg.val_dataloader.dataset.data_root = str(root / 'acdc')


def tiny_run_cfg(method, encoder, pair, root: Path, work_dir: Path, max_iters: int = 2,
                 resume: bool = False):
    cfg = load_config(_config(method, encoder, pair))
    _tinify(cfg, encoder)
    shrink_pipelines(cfg, CROP)
    _miniature(cfg, pair, root)
    cfg.train_dataloader = loader_cfg(cfg.train_dataloader)
    cfg.val_dataloader = cfg.test_dataloader = None
    cfg.val_cfg = cfg.val_evaluator = cfg.test_cfg = cfg.test_evaluator = None
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=10**6)
    # Warm-up over 2 iterations (full lr at the second), then poly; the discriminators'
    # poly reaches 0 at 2 x max_iters - 1 (MMEngine counts end - begin - 1 steps).
    cfg.param_scheduler.segmentor[0].end = 2
    cfg.param_scheduler.segmentor[1].update(begin=2, end=2 * max_iters + 2)
    if 'discriminator' in cfg.param_scheduler:
        cfg.param_scheduler.discriminator[0].end = 2 * max_iters
    cfg.default_hooks.checkpoint.update(interval=1, save_best=None, max_keep_ckpts=-1)
    cfg.default_hooks.logger.interval = 1
    cfg.env_cfg = dict(cudnn_benchmark=False, dist_cfg=dict(backend='gloo'))
    cfg.randomness = dict(seed=0)
    cfg.work_dir = str(work_dir)
    cfg.resume = resume
    cfg.launcher = 'none'
    return cfg


def _expected_lrs(max_iters: int):
    """Per-iteration learning rates of the tiny runs (segmentor base group, discriminator)."""
    seg, disc = [], []
    for t in range(max_iters):
        warm = 1e-6 + (1 - 1e-6) * min(t, 1)  # LinearLR(1e-6 -> 1) over steps 0..1
        poly = 1.0 if t < 2 else 1 - (t - 2) / (2 * max_iters - 1)
        seg.append(2.5e-3 * warm * poly)
        disc.append(1e-4 * (1 - t / (2 * max_iters - 1))**0.9)
    return seg, disc


FAMILY_CASES = [('advent', e, 'gta2cs') for e in ENCODERS] + [
    ('adaptsegnet', 'r101', 'cs2acdc'), ('minent', 'mitb5', 'gta2cs')]


@pytest.mark.parametrize('method,encoder,pair', FAMILY_CASES,
                         ids=['_'.join(c) for c in FAMILY_CASES])
def test_one_real_iteration(method, encoder, pair, tmp_path):
    cfg = tiny_run_cfg(method, encoder, pair, tmp_path / 'data', tmp_path / 'work')
    runner = Runner.from_cfg(cfg)
    runner.train()
    scalars = MessageHub.get_current_instance().log_scalars
    assert np.isfinite(scalars['train/loss'].current())
    assert 'train/sup.decode.loss_ce' in scalars
    if method == 'minent':
        assert 'train/ent.loss_main' in scalars and 'discriminator' not in runner.optim_wrapper
    else:
        assert np.isfinite(scalars['train/disc.loss'].current())
        assert 'train/adv.loss_main' in scalars
        assert ('train/adv.loss_aux' in scalars) == (encoder == 'r101')
        # Each optimizer follows its own schedule, iteration by iteration (logged lrs are
        # the first group's: the segmentor's backbone, x1).
        seg_lrs, disc_lrs = _expected_lrs(2)
        assert scalars['train/segmentor.lr'].data[0].tolist() == pytest.approx(seg_lrs,
                                                                             rel=1e-6)
        assert scalars['train/discriminator.lr'].data[0].tolist() == pytest.approx(disc_lrs,
                                                                                 rel=1e-6)
        lrs = runner.optim_wrapper.get_lr()  # heads x10 in the segmentor's groups
        assert max(lrs['segmentor.lr']) == pytest.approx(10 * min(lrs['segmentor.lr']))
    checkpoint = torch.load(tmp_path / 'work' / 'iter_2.pth', map_location='cpu',
                            weights_only=False)
    assert set(checkpoint['param_schedulers']) == set(runner.optim_wrapper.keys())
    assert set(checkpoint['optimizer']) == set(runner.optim_wrapper.keys())


def test_resume_equals_uninterrupted_run_with_both_optimizers(tmp_path):
    data = tmp_path / 'data'
    reference = Runner.from_cfg(tiny_run_cfg('advent', 'r101', 'gta2cs', data,
                                             tmp_path / 'ref', max_iters=4))
    reference.train()
    expected = torch.load(tmp_path / 'ref' / 'iter_4.pth', map_location='cpu',
                          weights_only=False)
    # An interrupted run: everything after iteration 2 is lost.
    interrupted = tmp_path / 'killed'
    interrupted.mkdir()
    for name in ('iter_2.pth', ):
        (interrupted / name).write_bytes((tmp_path / 'ref' / name).read_bytes())
    (interrupted / 'last_checkpoint').write_text(str(interrupted / 'iter_2.pth'))
    resumed = Runner.from_cfg(tiny_run_cfg('advent', 'r101', 'gta2cs', data,
                                           interrupted, max_iters=4, resume=True))
    resumed.train()
    assert resumed.iter == 4
    # It continued from iteration 2 (a fresh start would have written iter_1.pth).
    assert not (interrupted / 'iter_1.pth').exists() and (interrupted / 'iter_3.pth').exists()
    final = torch.load(interrupted / 'iter_4.pth', map_location='cpu', weights_only=False)
    assert final['state_dict'].keys() == expected['state_dict'].keys()
    assert any(k.startswith('discriminators.aux.') for k in final['state_dict'])
    for key, value in expected['state_dict'].items():
        torch.testing.assert_close(final['state_dict'][key], value, rtol=0, atol=1e-6, msg=key)
    for name in ('segmentor', 'discriminator'):
        got, want = final['optimizer'][name]['state'], expected['optimizer'][name]['state']
        assert got.keys() == want.keys() and len(want) > 0
        for index in want:
            for key, value in want[index].items():
                torch.testing.assert_close(got[index][key], value, rtol=0, atol=1e-6,
                                           msg=f'{name} {index} {key}')
        assert final['param_schedulers'][name] == expected['param_schedulers'][name]
    # Adam's step count shows the discriminators' state really went through the resume.
    adam = final['optimizer']['discriminator']['state']
    assert all(float(s['step']) == 4 for s in adam.values())


RANK_DUMP_HOOK = '''
import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmseg.registry import HOOKS


@HOOKS.register_module()
class AdvRankDumpHook(Hook):
    """Test-only: every rank saves its weights and optimizer states after training."""

    def after_train(self, runner):
        model = runner.model.module if hasattr(runner.model, 'module') else runner.model
        torch.save(dict(state_dict=model.state_dict(), wrapper=type(runner.model).__name__,
                        optimizer=runner.optim_wrapper.state_dict()),
                   f'{runner.work_dir}/rank{get_rank()}.pth')
'''


def test_two_process_gloo_run_keeps_ranks_identical(tmp_path):
    import os
    import subprocess
    import sys
    cfg = tiny_run_cfg('advent', 'r101', 'gta2cs', tmp_path / 'data',
                       tmp_path / 'work', max_iters=3)
    (tmp_path / 'adv_rank_dump_hook.py').write_text(RANK_DUMP_HOOK)
    cfg.custom_imports = dict(imports=['mmseg_semivl', 'adv_rank_dump_hook'],
                              allow_failed_imports=False)
    cfg.custom_hooks = [*cfg.custom_hooks, dict(type='AdvRankDumpHook')]
    cfg.train_dataloader.batch_size = cfg.train_dataloader.sampler.batch_size = 2  # 1 + 1
    cfg.dump(str(tmp_path / 'dist_cfg.py'))
    repo = CONFIG_ROOT.parent
    env = dict(os.environ, PYTHON=sys.executable, OMP_NUM_THREADS='1',
               PYTHONPATH=f'{tmp_path}{os.pathsep}{os.environ.get("PYTHONPATH", "")}',
               PORT=str(29700 + os.getpid() % 1000))
    result = subprocess.run(
        ['bash', str(repo / 'tools' / 'dist_train.sh'), str(tmp_path / 'dist_cfg.py'), '2',
         '--work-dir', str(tmp_path / 'work')],
        env=env, capture_output=True, text=True, timeout=600, cwd=repo)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert 'Iter(train) [3/3]' in result.stdout + result.stderr
    rank0 = torch.load(tmp_path / 'work' / 'rank0.pth', map_location='cpu', weights_only=False)
    rank1 = torch.load(tmp_path / 'work' / 'rank1.pth', map_location='cpu', weights_only=False)
    assert rank0['wrapper'] == 'AdversarialDistributedDataParallel'
    assert any(k.startswith('discriminators.') for k in rank0['state_dict'])
    for key, value in rank0['state_dict'].items():
        torch.testing.assert_close(rank1['state_dict'][key], value, rtol=0, atol=0, msg=key)
    for name in ('segmentor', 'discriminator'):
        want = rank0['optimizer'][name]['state']
        for index, entry in want.items():
            for key, value in entry.items():
                torch.testing.assert_close(rank1['optimizer'][name]['state'][index][key], value,
                                           rtol=0, atol=0, msg=f'{name} {index} {key}')
    # The ranks saw different images, so identical weights need synchronised gradients:
    # the discriminators moved away from their initial weights on both.
    start = torch.load(tmp_path / 'work' / 'iter_1.pth', map_location='cpu',
                       weights_only=False)['state_dict']
    moved = [k for k in start if k.startswith('discriminators.')
             and not torch.equal(start[k], rank0['state_dict'][k])]
    assert moved


def test_sigkill_then_resume_matches_uninterrupted_run(tmp_path):
    """tools/train.py killed with SIGKILL after iteration 3, resumed with --resume, ends with
    the uninterrupted run's weights and both optimizers' states and schedulers."""
    import os
    import signal
    import subprocess
    import sys
    import time
    max_iters = 6
    cfg = tiny_run_cfg('adaptsegnet', 'r101', 'gta2cs', tmp_path / 'data',
                       tmp_path / 'unused', max_iters=max_iters)
    cfg.dump(str(tmp_path / 'cfg.py'))
    repo = CONFIG_ROOT.parent
    env = dict(os.environ, OMP_NUM_THREADS='1')

    def cmd(work_dir, *extra):
        return [sys.executable, str(repo / 'tools' / 'train.py'), str(tmp_path / 'cfg.py'),
                '--work-dir', str(work_dir), *extra]

    reference = subprocess.run(cmd(tmp_path / 'ref'), env=env, capture_output=True, text=True,
                               timeout=600, cwd=repo)
    assert reference.returncode == 0, reference.stderr[-3000:]
    work_dir = tmp_path / 'killed'
    proc = subprocess.Popen(cmd(work_dir), env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, cwd=repo)
    deadline = time.time() + 300
    while not (work_dir / 'iter_3.pth').exists() and proc.poll() is None:
        assert time.time() < deadline, 'no checkpoint appeared'
        time.sleep(0.1)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (work_dir / f'iter_{max_iters}.pth').exists()
    resumed = subprocess.run(cmd(work_dir, '--resume'), env=env, capture_output=True,
                             text=True, timeout=600, cwd=repo)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    # tools/train.py names the checkpoint it resumes from (and the pointer naming it).
    assert f'Resuming from {work_dir}/iter_' in resumed.stdout + resumed.stderr
    final = torch.load(work_dir / f'iter_{max_iters}.pth', map_location='cpu',
                       weights_only=False)
    expected = torch.load(tmp_path / 'ref' / f'iter_{max_iters}.pth', map_location='cpu',
                          weights_only=False)
    for key, value in expected['state_dict'].items():
        torch.testing.assert_close(final['state_dict'][key], value, rtol=0, atol=1e-6, msg=key)
    for name in ('segmentor', 'discriminator'):
        want = expected['optimizer'][name]
        got = final['optimizer'][name]
        assert [g['lr'] for g in got['param_groups']] == [g['lr'] for g in want['param_groups']]
        for index, entry in want['state'].items():
            for key, value in entry.items():
                torch.testing.assert_close(got['state'][index][key], value, rtol=0, atol=1e-6,
                                           msg=f'{name} {index} {key}')
        assert final['param_schedulers'][name] == expected['param_schedulers'][name]
