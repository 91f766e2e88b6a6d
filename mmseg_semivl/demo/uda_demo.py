"""``tools/demo.py --task uda``: source-only vs. a self-training method, same iterations.

Trains both on the generated domain-shift miniature (:mod:`.uda_scenes`) or on a user's
folders (``--data-root``, the layout of ``UDAFolderDataset``), evaluates both on the
target validation images, writes ``metrics.json`` (``source_only`` and ``adapted``, each
with ``mIoU``) and ``panel.png`` (target image | ground truth | source-only | adapted |
pseudo-label of the adapted model's teacher; white = weight 0 / ignored).
"""
from __future__ import annotations

import copy
import json
import os
import os.path as osp
import time
from typing import Dict, List

import cv2
import numpy as np
import torch
from mmengine.config import Config

from ..utils.config_nodes import visit_dicts

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
UDA_DEMO_CONFIG = osp.join(REPO, 'configs', 'demo', 'dacs_scenes_uda_demo.py')
UDA_METHODS = ('dacs', 'daformer', 'mic', 'dida', 'advent', 'adaptsegnet', 'dacs-vl',
               'dacs-planted', 'dida-planted', 'advent-planted')
#: Vision-language methods (issue 21) and the plain method they are compared with:
#: '<method>-vl' guides with the tiny pretrained CLIP, '<method>-planted' with a planted
#: reference (a segmentor trained on labeled target-style scenes).
VL_BASELINE = {'dacs-vl': 'dacs', 'dacs-planted': 'dacs', 'dida-planted': 'dida',
               'advent-planted': 'advent'}
#: Settings of the dense CLIP guidance of ``--method dacs-vl``: the tiny CLIP pretrained on
#: the scene world ('tiny-scenes-long', dense MaskCLIP 49.7 mIoU on its own scenes) at its
#: own logit scale, the scenes class definitions (concepts-max); SemiVL's lambda_0 0.1 with
#: the linear decay and zeta 0.9 (``guidance_weight`` of run_uda_demo overrides lambda_0).
TINY_GUIDANCE_TEMPERATURE = 21.13


def tiny_guidance_model(crop: int = 64) -> dict:
    """The frozen dense CLIP of the demo's vision-language methods."""
    from mmseg_semivl.models.backbones import TINY_SCENES_CLIP_CFG
    return dict(type='DenseCLIPZeroShot', model_name='semivl-tiny-scenes',
                model_cfg=copy.deepcopy(TINY_SCENES_CLIP_CFG),
                pretrained='mmseg_semivl:tiny-scenes-long', class_definitions='scenes',
                aggregation='max', img_size=crop)
#: Adversarial methods: their method base and two-optimizer schedule replace the DACS parts.
ADVERSARIAL = dict(advent='advent.py', adaptsegnet='adaptsegnet.py')
ADVERSARIAL_SCHEDULE = osp.join(REPO, 'configs', '_base_', 'schedules',
                                'uda_adversarial_sgd_40k.py')


def method_config(base: Config, method: str, num_classes: int,
                  guidance_weight: float = 0.1, planted: str = None) -> Config:
    """The demo config for ``method`` ('source_only', 'dacs', 'daformer', 'mic', ...)."""
    if method in VL_BASELINE:
        return with_guidance(method_config(base, VL_BASELINE[method], num_classes),
                             method.rsplit('-', 1)[1], guidance_weight, planted)
    cfg = copy.deepcopy(base)
    if method == 'source_only':
        cfg.model = dict(type='SourceOnlySegmentor', student=cfg.model.student,
                         data_preprocessor=cfg.model.data_preprocessor)
        cfg.custom_hooks = [h for h in cfg.custom_hooks if h['type'] != 'EMATeacherHook']
    elif method == 'daformer':
        # FD on every class (the miniature has no "thing" list), alpha 0.999
        cfg.model.feature_distance = dict(loss_weight=0.005, classes=None, min_ratio=0.75)
        for hook in cfg.custom_hooks:
            if hook['type'] == 'EMATeacherHook':
                hook['momentum'] = 0.001
    elif method == 'mic':
        cfg.model.mic = dict(block_size=8, mask_ratio=0.7, loss_weight=1.0)
    elif method == 'dida':
        # The demo's DACS + DIDA's instance level: the keys configs/_base_/uda/dida.py adds
        # to DAFormer (bank, temperature, instance loss, fusion switches).
        dida = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'uda', 'dida.py')).model
        daformer = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'uda', 'daformer.py')).model
        cfg.model.update({k: v for k, v in dida.items() if k not in daformer or k == 'type'})
    elif method in ADVERSARIAL:
        # The method's own base (discriminators, losses, DDP wrapper, hooks) and its
        # schedule (segmentor SGD + discriminator Adam), on the demo's student and data.
        base_cfg = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'uda', ADVERSARIAL[method]))
        schedule = Config.fromfile(ADVERSARIAL_SCHEDULE)
        cfg.model = dict(base_cfg.model, student=cfg.model.student,
                         data_preprocessor=cfg.model.data_preprocessor)
        cfg.model_wrapper_cfg = base_cfg.model_wrapper_cfg
        cfg.custom_hooks = base_cfg.custom_hooks
        cfg.optim_wrapper = schedule.optim_wrapper
        cfg.param_scheduler = schedule.param_scheduler
    elif method != 'dacs':
        raise ValueError(f'--method must be one of {UDA_METHODS}, got {method!r}')
    return cfg


def with_guidance(cfg: Config, kind: str, guidance_weight: float, planted: str = None) -> Config:
    """A demo method config plus dense guidance on the target images.

    ``kind='vl'``: the tiny CLIP pretrained on the scene world (the student, tiny MiT with
    ImageNet normalisation, is unchanged; target images are re-normalised for the CLIP).
    ``kind='planted'``: a planted reference, the demo's student trained source-only on
    labeled target-style scenes (``planted``: its checkpoint), its logits at T = 1 in the
    student's own normalisation. Each method guides its own target prediction (DACS, DIDA:
    the ClassMix view's target pixels, pasted source pixels ignored; AdvEnt: the target
    prediction).
    """
    if kind == 'vl':
        cfg.model.guidance = tiny_guidance_model(cfg.crop_size[0])
        cfg.model.clip_guidance = dict(weight=guidance_weight,
                                       temperature=TINY_GUIDANCE_TEMPERATURE)
    else:
        cfg.model.guidance = dict(type='SegmentorScores', segmentor=copy.deepcopy(
            cfg.model.student), checkpoint=planted)
        cfg.model.clip_guidance = dict(weight=guidance_weight, temperature=1.0, mean=None,
                                       std=None)
    return cfg


def fit_schedule(schedulers, iters: int) -> None:
    """Shorten warm-up + poly schedulers (a list, or one list per optimizer) to ``iters``.

    The warm-up keeps at most a tenth of the run; a poly that starts after the warm-up
    starts where the shortened warm-up ends.
    """
    for group in (schedulers.values() if isinstance(schedulers, dict) else [schedulers]):
        warmup_end = 0
        for scheduler in group:
            if scheduler['type'] == 'LinearLR':
                scheduler['end'] = warmup_end = min(scheduler['end'], max(2, iters // 10))
            else:
                if scheduler.get('begin', 0):
                    scheduler['begin'] = warmup_end
                scheduler['end'] = iters + 1


def set_data_root(cfg: Config, root: str, num_classes: int) -> None:
    """Point every dataset and class count of ``cfg`` at ``root``."""

    def visit(node: dict) -> None:
        if node.get('type') == 'UDAFolderDataset':
            node['data_root'] = root
            node['num_classes'] = num_classes
        if node.get('type') == 'CheckLabelValues':
            node['num_classes'] = num_classes

    visit_dicts(cfg.train_dataloader, visit)
    visit_dicts(cfg.val_dataloader, visit)
    cfg.test_dataloader = cfg.val_dataloader
    cfg.model.student.decode_head.num_classes = num_classes


@torch.no_grad()
def guidance_zero_shot(model: torch.nn.Module, root: str, num_classes: int) -> Dict:
    """The guidance CLIP's own zero-shot mIoU (and zeta coverage) on the target-val images."""
    part, clip = model.dense_guidance, model.guidance
    confusion = torch.zeros(num_classes, num_classes, dtype=torch.long)
    covered = total = 0
    folder = osp.join(root, 'target_val', 'images')
    for name in sorted(os.listdir(folder)):
        bgr = cv2.imread(osp.join(folder, name), cv2.IMREAD_COLOR)
        gt = torch.from_numpy(cv2.imread(osp.join(root, 'target_val', 'labels',
                                                  osp.splitext(name)[0] + '.png'),
                                         cv2.IMREAD_UNCHANGED).astype(np.int64))
        x = model.data_preprocessor(
            dict(inputs=[torch.from_numpy(bgr).permute(2, 0, 1)], data_samples=None),
            False)['inputs']
        conf, label = part.targets(clip, x, None, model.align_corners,
                                   *model._norm_stats(x))
        keep = gt < num_classes
        confusion += torch.bincount(gt[keep] * num_classes + label[0][keep],
                                    minlength=num_classes**2).reshape(num_classes, num_classes)
        covered += int((conf[0] >= part.threshold).sum())
        total += conf[0].numel()
    inter = confusion.diag().float()
    union = confusion.sum(0) + confusion.sum(1) - confusion.diag()
    iou = inter[union > 0] / union[union > 0]
    return dict(mIoU=round(100 * float(iou.mean()), 2), coverage=round(covered / total, 4))


def train_and_evaluate(cfg: Config) -> Dict:
    from mmengine.runner import Runner
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = runner.val_loop.run()
    model = runner.model.module if hasattr(runner.model, 'module') else runner.model
    return dict(metrics={k: float(v) for k, v in metrics.items() if np.ndim(v) == 0},
                model=model)


@torch.no_grad()
def picture(models: Dict[str, torch.nn.Module], root: str, names: List[str],
            palette) -> np.ndarray:
    """Rows of target image | GT | source-only | adapted | pseudo-label."""
    from mmseg_semivl.visualization import make_panel, stack_rows
    rows = []
    for name in names:
        bgr = cv2.imread(osp.join(root, 'target_val', 'images', name), cv2.IMREAD_COLOR)
        gt = cv2.imread(osp.join(root, 'target_val', 'labels', osp.splitext(name)[0] + '.png'),
                        cv2.IMREAD_UNCHANGED)
        maps = {}
        for key, model in models.items():
            model.eval()
            batch = model.data_preprocessor(
                dict(inputs=[torch.from_numpy(bgr).permute(2, 0, 1)], data_samples=None), False)
            x = batch['inputs']
            maps[key] = model.student.encode_decode(x, [dict(img_shape=x.shape[-2:])]).argmax(1)[0]
            if key == 'adapted' and getattr(model, 'teacher', None) is not None:
                targets = model.pseudo_labels(x)  # the EMA teacher's
                pseudo = targets['label'][0].clone()
                pseudo[targets['conf'][0] < model.pseudo_threshold] = 255
                maps['pseudo'] = pseudo
        rows.append(make_panel(bgr[..., ::-1], [
            ('ground truth', gt), ('source-only', maps['source_only'].numpy()),
            ('adapted', maps['adapted'].numpy()),
            ('pseudo-label', maps['pseudo'].numpy() if 'pseudo' in maps else None)], palette))
    return stack_rows(rows)


def run_uda_demo(work_dir: str, data_root: str = None, method: str = 'dacs',
                 iters: int = None, seed: int = 0, quick: bool = False,
                 guidance_weight: float = 0.1, planted_checkpoint: str = None,
                 planted_iters: int = None) -> Dict:
    """Train source-only and ``method`` for the same iterations; write metrics and a panel.

    A vision-language method (``dacs-vl``, ``<method>-planted``) also trains its plain
    method (key 'plain', same seed) and reports the guidance model's own mIoU on the
    target-val images.
    """
    from mmseg_semivl.demo.uda_scenes import write_uda_scene_task
    work_dir = osp.abspath(work_dir)
    os.makedirs(work_dir, exist_ok=True)
    start = time.time()
    if data_root is None:
        data_root = osp.join(work_dir, 'data')
        write_uda_scene_task(data_root, seed=0)
        description = 'generated miniature: flat source scenes -> textured colour-shifted target'
    else:
        description = f'folders under {data_root}'
    data_root = osp.abspath(data_root)
    classes = [c.strip() for c in open(osp.join(data_root, 'classes.txt')) if c.strip()]
    base = Config.fromfile(UDA_DEMO_CONFIG)
    iters = iters or (4 if quick else base.train_cfg.max_iters)
    results, models = {}, {}
    runs = [('source_only', 'source_only'), ('adapted', method)]
    if method in VL_BASELINE:
        runs.insert(1, ('plain', VL_BASELINE[method]))
    roots = {key: data_root for key, _ in runs}
    steps = {key: iters for key, _ in runs}
    if method.endswith('-planted') and planted_checkpoint is None:
        # The planted reference first: source-only on labeled target-style scenes, seed 0
        # whatever the run's seed (one fixed reference for every seed of a benchmark).
        from mmseg_semivl.demo.uda_scenes import write_target_oracle_task
        runs.insert(0, ('planted_reference', 'source_only'))
        roots['planted_reference'] = write_target_oracle_task(
            osp.join(work_dir, 'planted_data'), data_root)
        steps['planted_reference'] = planted_iters or iters
        planted_checkpoint = osp.join(work_dir, 'planted_reference',
                                      f"iter_{steps['planted_reference']}.pth")
    for key, name in runs:
        cfg = method_config(base, name, len(classes), guidance_weight, planted_checkpoint)
        set_data_root(cfg, roots[key], len(classes))
        cfg.train_cfg.update(max_iters=steps[key], val_interval=steps[key])
        fit_schedule(cfg.param_scheduler, steps[key])
        cfg.default_hooks.checkpoint.update(interval=steps[key])
        cfg.work_dir = osp.join(work_dir, key)
        cfg.randomness = dict(seed=0 if key == 'planted_reference' else seed)
        out = train_and_evaluate(cfg)
        results[key] = out['metrics']
        models[key] = out['model']
        print(f"[uda demo] {key} ({name}): target mIoU {out['metrics']['mIoU']:.2f}", flush=True)
    if getattr(models['adapted'], 'dense_guidance', None) is not None:
        results['guidance_zero_shot'] = guidance_zero_shot(models['adapted'], data_root,
                                                           len(classes))
        print(f"[uda demo] guidance reference alone on target-val: "
              f"{results['guidance_zero_shot']}", flush=True)
    names = sorted(os.listdir(osp.join(data_root, 'target_val', 'images')))[:4]
    rng = np.random.default_rng(0)
    palette = [tuple(int(v) for v in rng.integers(0, 256, 3)) for _ in classes]
    panel = picture({k: models[k] for k in ('source_only', 'adapted')}, data_root, names,
                    palette)
    panel_path = osp.join(work_dir, 'panel.png')
    cv2.imwrite(panel_path, panel[..., ::-1])
    summary = dict(source_only=results['source_only'], adapted=results['adapted'],
                   **{k: results[k] for k in ('plain', 'guidance_zero_shot', 'planted_reference')
                      if k in results},
                   guidance_weight=guidance_weight if method in VL_BASELINE else None,
                   method=method, data=description, iterations=iters, seed=seed,
                   seconds=round(time.time() - start, 1), panel=panel_path)
    with open(osp.join(work_dir, 'metrics.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    print(f"\nUDA demo ({description}), {iters} iterations each, seed {seed}:\n"
          f"  source-only  target mIoU {results['source_only']['mIoU']:6.2f}\n"
          + (f"  {VL_BASELINE[method]:12s} target mIoU {results['plain']['mIoU']:6.2f}\n"
             if 'plain' in results else '') +
          f"  {method:12s} target mIoU {results['adapted']['mIoU']:6.2f}\n"
          f"  picture: {panel_path}\n  metrics: {osp.join(work_dir, 'metrics.json')}")
    return summary


__all__ = ['run_uda_demo', 'UDA_METHODS']
