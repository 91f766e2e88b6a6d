"""Does SemiVL learn, and does each of its parts help? A benchmark, not a test.

On a segmentation task with N labeled images and the rest unlabeled, every row trains
for the same iterations with the same labeled batch, then reports validation mIoU;
rows follow the paper's Table 6 (each adds one component to the row before):

===================== ==========================================================
row                   what trains
===================== ==========================================================
supervised            labeled images only (the pretrained CLIP encoder with
                      spatial fine-tuning and the language-guided decoder)
unimatch              + UniMatch consistency on unlabeled images (weak/strong
                      views, CutMix, feature perturbation)
clip_guidance         + dense CLIP guidance from the frozen CLIP, class names only
class_definitions     + class definitions: guidance scores are the max over each
                      class's concepts (= full SemiVL)
unimatch_head         UniMatch with its DeepLabv3+ head instead of the
                      language-guided decoder (configs/unimatch), no guidance
fully_supervised      every training image labeled (the upper line)
zero_shot             the frozen CLIP's dense MaskCLIP alone (no training)
===================== ==========================================================

By default the task is the generated-scenes task with the shipped tiny CLIP
(``configs/learning/semivl_scenes.py``); ``--data-root DIR`` runs the same table on a
folder in VOC layout: ``JPEGImages/``, ``SegmentationClass/``, ``labeled.txt``,
``unlabeled.txt``, ``val.txt`` (``<image> <label>`` lines, relative to DIR) and
``classes.txt`` (one class name per line; ``class_definitions.yaml`` beside it, if
present, gives the concepts).

Example (the table of docs/learning.md)::

    OMP_NUM_THREADS=1 python tools/benchmark_learning.py --num-labeled 8 --seeds 0 1 2 \\
        --json work_dirs/learning/scenes.json
"""
from __future__ import annotations

import argparse
import json
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
import mmseg_semivl  # noqa: E402,F401  (registration before mmseg)
import torch  # noqa: E402
from mmengine.config import DictAction  # noqa: E402

from mmseg_semivl.benchmarks.learning import (ROW_ORDER, TaskData, build_row_config,  # noqa
                                              markdown, read_split, scene_task, summarise,
                                              train_row, write_split, zero_shot_row)
from mmseg_semivl.utils.cli import run_tool  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEFAULT_CONFIG = osp.join(REPO, 'configs', 'learning', 'semivl_scenes.py')
USER_FILES = ('labeled.txt', 'unlabeled.txt', 'val.txt', 'classes.txt')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='SemiVL learning benchmark')
    parser.add_argument('--config', default=DEFAULT_CONFIG, help='the full-method config')
    parser.add_argument('--data-root', default=None,
                        help='a VOC-layout folder of your own (default: generated scenes)')
    parser.add_argument('--num-labeled', type=int, nargs='+', default=[8],
                        help='labeled scenes (the first N of the generated pool); ignored '
                        'with --data-root, whose labeled.txt decides')
    parser.add_argument('--pool', type=int, default=240, help='generated training scenes')
    parser.add_argument('--num-val', type=int, default=100, help='generated validation scenes')
    parser.add_argument('--rows', nargs='+', default=list(ROW_ORDER), choices=ROW_ORDER)
    parser.add_argument('--iters', type=int, default=None, help="default: the config's")
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--work-dir', default='work_dirs/benchmark_learning')
    parser.add_argument('--json', default=None, help='write every result and the table here')
    parser.add_argument('--threads', type=int, default=1,
                        help='CPU threads (numerics depend on it; docs/learning.md uses 1)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default=None,
                        help='overrides applied to every row (key=value)')
    return parser.parse_args(argv)


def user_task(root: str, work_dir: str) -> TaskData:
    """A user's folder in VOC layout (see the module docstring)."""
    root = osp.abspath(root)
    missing = [name for name in USER_FILES if not osp.isfile(osp.join(root, name))]
    if missing:
        raise FileNotFoundError(
            f'--data-root {root} lacks {", ".join(missing)} (expected JPEGImages/, '
            'SegmentationClass/, labeled.txt, unlabeled.txt, val.txt, classes.txt)')
    labeled = read_split(osp.join(root, 'labeled.txt'))
    unlabeled = read_split(osp.join(root, 'unlabeled.txt'))
    if not labeled:
        raise ValueError(f'{osp.join(root, "labeled.txt")} lists no image')
    classes = tuple(read_split(osp.join(root, 'classes.txt')))
    definitions = osp.join(root, 'class_definitions.yaml')
    return TaskData(
        root=root, labeled=osp.join(root, 'labeled.txt'),
        unlabeled=osp.join(root, 'unlabeled.txt'),
        all=write_split(osp.join(work_dir, 'splits', 'all.txt'), labeled + unlabeled),
        val=osp.join(root, 'val.txt'), classes=classes,
        definitions=definitions if osp.isfile(definitions) else {c: [c] for c in classes},
        extra=dict(num_labeled=len(labeled)))


def main(argv=None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    work_root = osp.abspath(args.work_dir)
    results = []
    sizes = [None] if args.data_root else args.num_labeled
    for size in sizes:
        if args.data_root:
            data = user_task(args.data_root, work_root)
            n = data.extra['num_labeled']
        else:
            data, n = scene_task(work_root, size, args.pool, args.num_val), size
        for row in args.rows:
            for seed in args.seeds[:1] if row == 'zero_shot' else args.seeds:
                work_dir = osp.join(work_root, f'n{n}', row, f'seed{seed}')
                if row == 'zero_shot':  # deterministic: evaluated once
                    out = zero_shot_row(args.config, data, work_dir, args.cfg_options)
                else:
                    out = train_row(build_row_config(args.config, row, seed, data, work_dir,
                                                     args.iters, args.cfg_options))
                metrics = out['metrics']
                results.append(dict(num_labeled=n, row=row, seed=seed, **metrics))
                print(f"[benchmark] N={n} {row} seed {seed}: mIoU {metrics['mIoU']:.2f} "
                      f"({metrics['seconds']:.0f} s)", flush=True)
    table = summarise(results)
    print('\n' + markdown(table))
    if args.json:
        os.makedirs(osp.dirname(osp.abspath(args.json)), exist_ok=True)
        with open(args.json, 'w') as f:
            json.dump(dict(command='python tools/benchmark_learning.py ' + ' '.join(
                sys.argv[1:]), torch_threads=torch.get_num_threads(), results=results,
                           table=table), f, indent=2)
    return 0


if __name__ == '__main__':
    run_tool(main)
