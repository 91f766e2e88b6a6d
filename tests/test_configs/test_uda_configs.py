"""The UDA configs (method x encoder x shift): what each family sets, the DAFormer
schedule's values, and one real training iteration of every method and every encoder
family on a generated folder miniature (tiny versions of the encoders, 64 px crops)."""

import copy
import glob
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmseg_semivl.models.backbones import TINY_CLIP_CFG
from mmseg_semivl.utils import visit_dicts

init_default_scope('mmseg')
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
UDA = osp.join(REPO, 'configs', 'uda')
METHODS = ('source-only', 'dacs', 'daformer', 'dacs-mic', 'daformer-mic')
ENCODERS = ('r101', 'mitb5', 'clip-vitb16', 'eva02-l14')
SHIFTS = ('gta2cs', 'synthia2cs', 'cs2acdc', 'cs2darkzurich')
NUM_CLASSES = 19


def leaf(method, encoder, shift):
    return osp.join(UDA, f'{method}_{encoder}_{shift}.py')


def test_every_cell_of_the_table_has_a_config():
    expected = {leaf(m, e, s) for m in METHODS for e in ENCODERS for s in SHIFTS}
    assert expected <= set(glob.glob(osp.join(UDA, '*.py')))


@pytest.mark.parametrize('method', METHODS)
def test_method_families_set_the_anchor_values(method):
    for encoder in ENCODERS:
        cfg = Config.fromfile(leaf(method, encoder, 'gta2cs'))
        model = cfg.model
        if method == 'source-only':
            assert model.type == 'SourceOnlySegmentor'
            assert not any(h.type == 'EMATeacherHook' for h in cfg.custom_hooks)
            continue
        assert model.type == 'DACS' and model.teacher == 'ema'
        assert model.pseudo_threshold == 0.968
        assert model.mixer == dict(type='ClassMixMasker', classes_from='sample', ignore_index=255)
        assert model.strong_transform.color_jitter_strength == 0.2
        assert model.strong_transform.color_jitter_prob == 0.2
        ema = [h for h in cfg.custom_hooks if h.type == 'EMATeacherHook']
        alpha = 0.999 if method.startswith('daformer') else 0.99
        assert len(ema) == 1 and 1 - ema[0].momentum == pytest.approx(alpha)
        if method.startswith('daformer'):
            assert model.feature_distance.loss_weight == 0.005
            assert model.feature_distance.classes == (6, 7, 11, 12, 13, 14, 15, 16, 17, 18)
            assert (model.pseudo_weight_ignore_top, model.pseudo_weight_ignore_bottom) == (15, 120)
            assert cfg.train_dataloader.sampler.type == 'RareClassMultiSourceSampler'
        else:
            assert 'feature_distance' not in model
            assert cfg.train_dataloader.sampler.type == 'MultiSourceSampler'
        if method.endswith('mic'):
            assert model.mic == dict(block_size=32, mask_ratio=0.7, loss_weight=1.0,
                                     color_augment=True)
        else:
            assert 'mic' not in model
        assert cfg.train_dataloader.batch_size == 4  # 2 source + 2 target
        assert cfg.train_cfg.max_iters == 40000


def test_schedule_matches_mmcv_warmup_times_poly():
    """lr_t = 6e-5 (1 - t / 40000) (1 - (1 - t / 1500)(1 - 1e-6)) for t < 1500, as mmcv."""
    from mmengine.optim.scheduler import LinearLR, PolyLR
    cfg = Config.fromfile(leaf('daformer', 'mitb5', 'gta2cs'))
    assert cfg.optimizer == dict(type='AdamW', lr=6e-5, betas=(0.9, 0.999), weight_decay=0.01)
    keys = cfg.optim_wrapper.paramwise_cfg.custom_keys
    assert keys['head'] == dict(lr_mult=10.0) and keys['norm'] == dict(decay_mult=0.0)
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=6e-5)
    kinds = dict(LinearLR=LinearLR, PolyLR=PolyLR)
    schedulers = [kinds[s['type']](opt, **{k: v for k, v in s.items() if k != 'type'})
                  for s in cfg.param_scheduler]
    seen = {}
    for t in range(2001):
        seen[t] = opt.param_groups[0]['lr']
        opt.step()
        for s in schedulers:
            s.step()

    def anchor(t):
        poly = 6e-5 * (1 - t / 40000)
        if t < 1500:
            return poly * (1 - (1 - t / 1500) * (1 - 1e-6))
        return poly

    for t in (0, 1, 10, 750, 1499, 1500, 1501, 2000):
        assert seen[t] == pytest.approx(anchor(t), rel=1e-6, abs=1e-13), t


# ---------------------------------------------------------------- one real iteration
def write_folder(root):
    import cv2
    classes = [f'class{i}' for i in range(NUM_CLASSES)]
    root.mkdir()
    (root / 'classes.txt').write_text('\n'.join(classes) + '\n')
    rng = np.random.default_rng(0)
    for part, n in (('source', 2), ('target', 2), ('target_val', 1)):
        for i in range(n):
            (root / part / 'images').mkdir(parents=True, exist_ok=True)
            img = rng.integers(0, 256, (64, 96, 3), dtype=np.uint8)
            assert cv2.imwrite(str(root / part / 'images' / f'{i}.png'), img)
            if part != 'target':
                (root / part / 'labels').mkdir(parents=True, exist_ok=True)
                label = np.zeros((64, 96), np.uint8)
                label[:, :32] = 13  # person (a thing class: FD applies)
                label[:, 32:64] = 0
                label[:, 64:] = 255
                assert cv2.imwrite(str(root / part / 'labels' / f'{i}.png'), label)
    return root


def shrink_student(cfg, encoder, checkpoint):
    """Tiny versions of the encoder family; the head and neck types stay."""
    s = cfg.model.student
    s.pretrained = None
    head = s.decode_head
    if encoder == 'r101':
        s.backbone.depth = 18
        head.in_channels = 512
        head.init_cfg = None
    elif encoder == 'mitb5':
        s.backbone.update(embed_dims=8, num_layers=[1, 1, 1, 1], num_heads=[1, 2, 4, 8],
                          init_cfg=None)
        head.update(in_channels=[8, 16, 32, 64], channels=16, embed_dims=16)
    elif encoder == 'clip-vitb16':
        s.backbone.update(model_name='semivl-tiny', model_cfg=copy.deepcopy(TINY_CLIP_CFG),
                          pretrained=checkpoint, img_size=64, skip_blocks=(0, 1, 2))
        s.neck.update(in_channels=[64, 64, 64, 64], out_channels=16)
        head.update(in_channels=[16] * 4, channels=16, embed_dims=16)
    elif encoder == 'eva02-l14':
        s.backbone.update(pretrained=None, out_indices=(0, 1, 2, 3), grad_checkpointing=False,
                          timm_kwargs=dict(embed_dim=32, depth=4, num_heads=2))
        s.neck.embed_dim = 32
        head.update(in_channels=[32] * 4, channels=16, embed_dims=16)
    if cfg.model.get('mic'):
        cfg.model.mic.block_size = 8


def miniature_cfg(method, encoder, folder, work_dir, checkpoint):
    return miniature_cfg_of(leaf(method, encoder, 'gta2cs'), encoder, folder, work_dir,
                            checkpoint)


def miniature_cfg_of(path, encoder, folder, work_dir, checkpoint, validate=True):
    """The config at ``path`` on the UDA folder miniature: tiny encoder, 64 px crops,
    batch 2 + 2, one iteration (then validation on the folder, unless ``validate=False``)."""
    cfg = Config.fromfile(path)
    shrink_student(cfg, encoder, checkpoint)
    custom = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'datasets',
                                      'uda_custom_folder.py'))

    def shrink(node):
        if node.get('type') == 'Resize':
            node['scale'] = (96, 64)
        if node.get('type') == 'RandomCrop':
            node['crop_size'] = (64, 64)
        if node.get('type') == 'PadToSize':
            node['size'] = (64, 64)
        if 'data_root' in node:
            node['data_root'] = str(folder)

    for key in ('train_dataloader', 'val_dataloader'):
        loader = copy.deepcopy(custom[key])
        visit_dicts(loader, shrink)
        loader.update(num_workers=0, persistent_workers=False)
        cfg[key] = loader
    cfg.train_dataloader.batch_size = 4
    cfg.train_dataloader.sampler.batch_size = 4
    cfg.test_dataloader = cfg.val_dataloader
    cfg.val_evaluator = cfg.test_evaluator = custom.val_evaluator
    if not validate:
        cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
        cfg.test_dataloader = cfg.test_cfg = cfg.test_evaluator = None
    cfg.model.data_preprocessor.size = (64, 64)
    cfg.train_cfg.update(max_iters=1, val_interval=1 if validate else 100)
    cfg.param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=False, begin=0, end=1)]
    cfg.default_hooks.checkpoint.update(interval=1)
    cfg.default_hooks.logger.interval = 1
    cfg.work_dir = str(work_dir)
    cfg.randomness = dict(seed=0)
    return cfg


# Every method and every encoder family at least once.
FAMILIES = [('source-only', 'r101'), ('dacs', 'r101'), ('daformer', 'mitb5'),
            ('dacs-mic', 'clip-vitb16'), ('daformer-mic', 'eva02-l14'), ('dacs', 'eva02-l14')]


@pytest.mark.parametrize('method,encoder', FAMILIES)
def test_one_training_iteration_on_a_miniature(method, encoder, tmp_path, tiny_clip_checkpoint):
    from mmengine.runner import Runner

    folder = write_folder(tmp_path / 'uda')
    cfg = miniature_cfg(method, encoder, folder, tmp_path / 'work', tiny_clip_checkpoint)
    runner = Runner.from_cfg(cfg)
    model = runner.model
    runner._init_model_weights()  # as train() does first (pretrained weights, copies)
    before = {k: v.clone() for k, v in model.student.state_dict().items()}
    runner.train()
    assert runner.iter == 1
    changed = [k for k, v in model.student.state_dict().items()
               if v.is_floating_point() and not torch.equal(v, before[k])]
    assert changed, 'the student did not change'
    logs = runner.message_hub.log_scalars
    assert 'train/sup.decode.loss_ce' in logs
    if method != 'source-only':
        assert 'train/unsup.loss_mix' in logs
        # teacher = 1/2 initial + 1/2 student after the first update (alpha_1 = 0.5)
        name = next(n for n, p in model.student.named_parameters() if p.requires_grad)
        s, t = dict(model.student.named_parameters())[name], dict(
            model.teacher.named_parameters())[name]
        torch.testing.assert_close(t, 0.5 * before[name] + 0.5 * s.detach())
    if method.startswith('daformer'):
        assert 'train/sup.loss_fd' in logs
    if method.endswith('mic'):
        assert 'train/unsup.loss_mic' in logs
    ckpt = torch.load(osp.join(cfg.work_dir, 'iter_1.pth'), map_location='cpu',
                      weights_only=False)
    keys = ckpt['state_dict']
    assert any(k.startswith('student.') for k in keys)
    assert any(k.startswith('teacher.') for k in keys) == (method != 'source-only')
    assert not any(k.startswith('imnet_model.') for k in keys)
    assert 0 <= runner.message_hub.get_scalar('val/mIoU').current() <= 100


def test_resume_equals_the_uninterrupted_run_teacher_included(tmp_path, tiny_clip_checkpoint):
    """2 iterations straight == 1 iteration, a new process state, --resume, 1 more."""
    from mmengine.runner import Runner

    folder = write_folder(tmp_path / 'uda')

    def run(work, iters, resume=False):
        cfg = miniature_cfg('daformer-mic', 'mitb5', folder, work, tiny_clip_checkpoint)
        cfg.train_cfg.update(max_iters=iters, val_interval=100)
        cfg.default_hooks.checkpoint.update(interval=1)
        cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
        cfg.resume = resume
        runner = Runner.from_cfg(cfg)
        runner.train()
        return {k: v.clone() for k, v in runner.model.state_dict().items()}

    straight = run(tmp_path / 'a', 2)
    run(tmp_path / 'b', 1)
    torch.manual_seed(1234)  # a different process state must not matter
    resumed = run(tmp_path / 'b', 2, resume=True)
    assert straight.keys() == resumed.keys()
    assert any(k.startswith('teacher.') for k in straight)
    for key in straight:
        torch.testing.assert_close(resumed[key], straight[key], atol=0, rtol=0, msg=key)


def test_mmseg_inference_takes_a_uda_checkpoint(tmp_path, tiny_clip_checkpoint):
    """MMSeg's init_model / inference_model on a DACS checkpoint: the student predicts,
    or the teacher with semi_test_cfg.predict_on='teacher'."""
    from mmengine.runner import Runner
    from mmseg.apis import inference_model, init_model

    folder = write_folder(tmp_path / 'uda')
    cfg = miniature_cfg('dacs', 'mitb5', folder, tmp_path / 'work', tiny_clip_checkpoint)
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    runner = Runner.from_cfg(cfg)
    runner.train()
    ckpt = osp.join(cfg.work_dir, 'iter_1.pth')
    image = str(folder / 'target_val' / 'images' / '0.png')
    cfg.test_pipeline = copy.deepcopy(cfg.test_dataloader.dataset.pipeline)
    outs = {}
    for who in ('student', 'teacher'):
        cfg.model.semi_test_cfg = dict(predict_on=who)
        model = init_model(cfg, ckpt, device='cpu')
        assert model.predict_model is getattr(model, who)
        outs[who] = inference_model(model, image).seg_logits.data
        assert outs[who].shape == (NUM_CLASSES, 64, 96)
    # after one update the teacher is the average of the initial and the updated student
    assert not torch.allclose(outs['student'], outs['teacher'])


def test_source_and_target_with_different_classes_is_a_one_line_error(tmp_path):
    from mmseg.registry import DATASETS
    roots = {}
    for name, classes in (('source', 'road\ncar\n'), ('target', 'road\nbus\n')):
        root = write_folder(tmp_path / name)
        (root / 'classes.txt').write_text(classes)
        roots[name] = str(root)
    cfg = dict(type='UDAConcatDataset', datasets=[
        dict(type='UDAFolderDataset', part='source', data_root=roots['source'], num_classes=2),
        dict(type='UDAFolderDataset', part='target', data_root=roots['target'], num_classes=2)])
    with pytest.raises(ValueError, match=r"source and target class lists differ: dataset 0 "
                       r"\(UDAFolderDataset\) has 2 classes, dataset 1 \(UDAFolderDataset\) "
                       r"has 2; first difference at class 1: 'car' vs 'bus'"):
        DATASETS.build(cfg)
    for path in glob.glob(osp.join(UDA, '*_*_*2*.py')):
        assert Config.fromfile(path).train_dataloader.dataset.type == 'UDAConcatDataset'
        break


@pytest.mark.parametrize('shift', SHIFTS)
def test_daformer_leaves_sample_rare_classes_on_every_source(shift):
    """DAFormer's RCS on GTA, SYNTHIA and Cityscapes sources (its own cs2acdc configs);
    the other methods draw the source uniformly."""
    for method in METHODS:
        cfg = Config.fromfile(leaf(method, 'mitb5', shift))
        loader = cfg.train_dataloader
        source = loader.dataset.datasets[0]
        rcs = loader.dataset.get('rare_class_sampling')
        if method.startswith('daformer'):
            assert loader.sampler.type == 'RareClassMultiSourceSampler', method
            assert (rcs.temperature, rcs.min_pixels) == (0.01, 3000)
            if shift.startswith('cs2'):
                assert (source.type, source.data_root) == ('CityscapesDataset',
                                                           'data/cityscapes')
        else:
            assert loader.sampler.type == 'MultiSourceSampler', method
            assert rcs is None
