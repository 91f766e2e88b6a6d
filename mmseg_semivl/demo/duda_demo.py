"""``tools/demo.py --task uda --method duda``: a small student trained with plain DACS vs the
same student trained with DUDA (a bigger heavy pair distilled into it), same iterations,
on the generated domain-shift miniature (:mod:`.uda_scenes`); several seeds.

Writes ``metrics.json`` (per seed: ``dacs`` and ``duda`` target mIoU of the small student)
in the work directory. A benchmark, not a test (docs/uda.md has the measured table).
"""
from __future__ import annotations

import copy
import json
import os
import os.path as osp
import time
from typing import Dict, Sequence

from mmengine.config import Config

from .uda_demo import UDA_DEMO_CONFIG, fit_schedule, set_data_root, train_and_evaluate

#: The small (deployed) student: the demo's tiny MiT at half width.
SMALL = dict(embed_dims=8, num_layers=[1, 1, 1, 1], num_heads=[1, 2, 4, 8], head_channels=16)
#: The heavy student of DUDA: twice the demo's width, two blocks per stage.
HEAVY = dict(embed_dims=32, num_layers=[2, 2, 2, 2], num_heads=[1, 2, 4, 8], head_channels=64)


def tiny_mit(student: dict, embed_dims: int, num_layers, num_heads, head_channels: int) -> dict:
    """The demo's MiT + DAFormer head at another width/depth."""
    dims = [embed_dims * m for m in (1, 2, 4, 8)]
    return dict(student,
                backbone=dict(student['backbone'], embed_dims=embed_dims,
                              num_layers=list(num_layers), num_heads=list(num_heads)),
                decode_head=dict(student['decode_head'], in_channels=dims,
                                 channels=head_channels, embed_dims=head_channels))


def duda_demo_config(base: Config, method: str, iters: int) -> Config:
    """'dacs': the small student with DACS; 'duda': the small student with DUDA."""
    cfg = copy.deepcopy(base)
    small = tiny_mit(cfg.model.student, **SMALL)
    if method == 'dacs':
        cfg.model.student = small
        return cfg
    if method != 'duda':
        raise ValueError(f"method must be 'dacs' or 'duda', got {method!r}")
    heavy_method = {k: v for k, v in cfg.model.items()
                    if k not in ('student', 'data_preprocessor', 'type')}
    pre = max(1, iters // 4)
    cfg.model = dict(
        type='DUDA', student=small, heavy=tiny_mit(cfg.model.student, **HEAVY),
        heavy_method=dict(heavy_method, type='DUDASelfTraining'),
        data_preprocessor=cfg.model.data_preprocessor, pre_adapt_iters=pre,
        distillation=dict(schedule=dict(ramp_iters=max(1, iters // 3), shape='linear',
                                        direction='hard_to_soft'),
                          temperature=1.0, loss_weight=1.0),
        inconsistency=dict(loss_weight=1.0, momentum=0.99, gamma=1.0, eps=0.05),
        teacher_weights=dict(ema=0.5, heavy=0.5))
    return cfg


def run_duda_demo(work_dir: str, seeds: Sequence[int] = (0, 1, 2), iters: int = None,
                  quick: bool = False) -> Dict:
    from mmseg_semivl.demo.uda_scenes import write_uda_scene_task
    work_dir = osp.abspath(work_dir)
    os.makedirs(work_dir, exist_ok=True)
    data_root = osp.join(work_dir, 'data')
    write_uda_scene_task(data_root, seed=0)
    classes = [c.strip() for c in open(osp.join(data_root, 'classes.txt')) if c.strip()]
    base = Config.fromfile(UDA_DEMO_CONFIG)
    iters = iters or (4 if quick else base.train_cfg.max_iters)
    start = time.time()
    results = {}
    for seed in seeds:
        for method in ('dacs', 'duda'):
            t0 = time.time()
            cfg = duda_demo_config(base, method, iters)
            set_data_root(cfg, data_root, len(classes))
            cfg.train_cfg.update(max_iters=iters, val_interval=iters)
            fit_schedule(cfg.param_scheduler, iters)
            cfg.default_hooks.checkpoint.update(interval=iters)
            cfg.work_dir = osp.join(work_dir, f'{method}_seed{seed}')
            cfg.randomness = dict(seed=seed)
            miou = train_and_evaluate(cfg)['metrics']['mIoU']
            results.setdefault(str(seed), {})[method] = miou
            results[str(seed)][f'{method}_seconds'] = round(time.time() - t0, 1)
            print(f'[duda demo] seed {seed} {method}: small-student target mIoU {miou:.2f}',
                  flush=True)
    summary = dict(results=results, iterations=iters, small=SMALL, heavy=HEAVY,
                   seconds=round(time.time() - start, 1))
    with open(osp.join(work_dir, 'metrics.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    print('\nseed  DACS   DUDA   margin')
    for seed, r in results.items():
        print(f"{seed:>4}  {r['dacs']:5.2f}  {r['duda']:5.2f}  {r['duda'] - r['dacs']:+.2f}")
    return summary


__all__ = ['run_duda_demo', 'duda_demo_config']
