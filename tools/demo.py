"""SemiVL out of the box: supervised-only vs SemiVL, an evaluation and a picture.

Runs on a fresh machine without a dataset, a GPU or a download. The task is the
generated-scenes task (``mmseg_semivl.datasets.synthetic.scenes``): 8 labeled and 232
unlabeled 96 px scenes of textured objects, 5 classes. The CLIP is the tiny one this
package pretrained on captioned scenes and ships (``'mmseg_semivl:tiny-scenes'``,
``tools/pretrain_tiny_clip.py``): it knows the materials' words, so its dense guidance
and the language-guided decoder carry real class signal. ``--clip-weights FILE`` uses
an open_clip checkpoint of ``--clip-model`` (e.g. OpenAI ViT-B/16) instead.

The same two rows of ``tools/benchmark_learning.py`` train for the same iterations:
``supervised`` (labeled images only) and ``class_definitions`` (full SemiVL). Outputs
under ``--work-dir`` (default ``demo_output``): ``metrics.json`` (entries
``supervised_only`` and ``semivl``, each with ``mIoU``), ``panel.png`` (image | ground
truth | supervised-only prediction | SemiVL prediction | pseudo-label | dense CLIP
guidance; white = below the confidence threshold), logs and checkpoints.

Example::

    python tools/demo.py                 # about 4 minutes on 2 CPU cores (400 + 400 iterations)
    python tools/demo.py --quick         # a few iterations (what the tests run)
"""
from __future__ import annotations

import argparse
import json
import os
import os.path as osp
import sys
import time
from typing import Dict, List, Optional, Tuple

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
import mmseg_semivl  # noqa: E402,F401  (registration before mmseg)
import cv2  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402

from mmseg_semivl.benchmarks.learning import (build_row_config, read_split,  # noqa: E402
                                              scene_task, train_row)
from mmseg_semivl.demo.uda_demo import UDA_METHODS  # noqa: E402
from mmseg_semivl.utils.cli import run_tool  # noqa: E402
from mmseg_semivl.visualization import make_panel, stack_rows  # noqa: E402

# The learning benchmark's config: the demo is its seed-0 supervised and SemiVL rows, so
# the numbers it prints are the ones docs/learning.md quotes (at --threads 1).
DEMO_CONFIG = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs', 'learning',
                       'semivl_scenes.py')
WEIGHTS_ENV = 'MMSEG_SEMIVL_CLIP_WEIGHTS'
ROWS = (('supervised_only', 'supervised'), ('semivl', 'class_definitions'))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Run the bundled SemiVL demo')
    parser.add_argument('--work-dir', default='demo_output', help='output folder')
    parser.add_argument('--iters', type=int, default=None,
                        help="training iterations per model (default: the demo config's, "
                        'or 4 with --quick)')
    parser.add_argument('--quick', action='store_true', help='a few iterations only')
    parser.add_argument('--num-labeled', type=int, default=8, help='labeled scenes')
    parser.add_argument('--clip-model', default='ViT-B-16',
                        help='open_clip model of --clip-weights')
    parser.add_argument('--clip-weights', default=os.environ.get(WEIGHTS_ENV),
                        help=f'an open_clip checkpoint instead of the shipped tiny CLIP '
                        f'(default: ${WEIGHTS_ENV})')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--threads', type=int, default=1,
                        help='CPU threads; numerics depend on it, and 1 is what docs quote '
                        '(on 2 shared cores also the fastest)')
    parser.add_argument('--task', choices=('semivl', 'uda'), default='semivl',
                        help='semivl: supervised-only vs SemiVL; uda: source-only vs '
                        '--method on a domain shift (mmseg_semivl/demo/uda_demo.py)')
    parser.add_argument('--method', choices=(*UDA_METHODS, 'duda'),
                        default='dacs',
                        help='--task uda: the adaptation method (self-training or adversarial); '
                        'dacs-vl: DACS + dense CLIP guidance from the tiny pretrained CLIP, '
                        'trained beside plain DACS; dacs-planted / dida-planted / '
                        'advent-planted: that method + dense guidance from a planted reference, '
                        'trained beside the plain method; duda: a small student with DACS vs with '
                        'DUDA over --seeds (mmseg_semivl/demo/duda_demo.py)')
    parser.add_argument('--planted-iters', type=int, default=None,
                        help='--method *-planted: iterations of the planted reference '
                        '(default: --iters)')
    parser.add_argument('--planted-checkpoint', default=None,
                        help='--method *-planted: reuse this planted reference checkpoint '
                        'instead of training one')
    parser.add_argument('--guidance-weight', type=float, default=0.1,
                        help='--task uda --method dacs-vl / *-planted: lambda_0 of the dense '
                        'guidance')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2],
                        help='--method duda: the seeds of the comparison')
    parser.add_argument('--data-root', default=None,
                        help='--task uda: your folders (source/images, source/labels, '
                        'target/images, target_val/images, target_val/labels, classes.txt)')
    parser.add_argument('--out', default=None, help='alias of --work-dir')
    return parser.parse_args(argv)


def use_real_clip(cfg: Config, model_name: str, weights: str) -> None:
    """Swap the shipped tiny CLIP for an open_clip ViT checkpoint (e.g. OpenAI ViT-B/16)."""
    if not osp.isfile(weights):
        raise FileNotFoundError(f'CLIP weights file {weights!r} does not exist')
    from mmseg_semivl.models.backbones.open_clip_builder import resolve_model_cfg
    arch = resolve_model_cfg(model_name)
    width, embed = arch['vision_cfg']['width'], arch['embed_dim']
    layers = arch['vision_cfg']['layers']
    clip = dict(model_name=model_name, pretrained=weights, model_cfg=None)
    model = cfg.model
    for part in (model.backbone, model.guidance, model.decode_head.text_embeddings):
        part.update(clip)
    model.backbone.skip_blocks = (0, layers // 3)
    model.decode_head.in_channels = (width, width, embed)
    model.decode_head.text_channels = embed
    model.guidance_temperature = 100.0  # OpenAI CLIP's logit scale


def picture(models: Dict[str, torch.nn.Module], data_root: str,
            rows: List[Tuple[str, Optional[str]]], palette) -> np.ndarray:
    """Rows of image | GT | supervised-only | SemiVL | pseudo-label | guidance."""
    tiles = []
    for image_name, label_name in rows:
        bgr = cv2.imread(osp.join(data_root, image_name), cv2.IMREAD_COLOR)
        gt = (cv2.imread(osp.join(data_root, label_name), cv2.IMREAD_UNCHANGED)
              if label_name else None)
        maps = {}
        for name, model in models.items():
            model.eval()
            batch = model.data_preprocessor(
                dict(inputs=[torch.from_numpy(bgr).permute(2, 0, 1)], data_samples=None), False)
            with torch.no_grad():
                maps[name] = {k: v[0].cpu().numpy()
                              for k, v in model.predict_training_targets(batch['inputs']).items()}
        semivl = maps['semivl']
        tiles.append(make_panel(bgr[..., ::-1], [
            ('ground truth', gt),
            ('supervised', maps['supervised_only']['prediction']),
            ('SemiVL', semivl['prediction']),
            ('pseudo-label', semivl['pseudo_label']),
            ('CLIP guidance', semivl.get('guidance')),
        ], palette))
    return stack_rows(tiles)


def main(argv=None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.task == 'uda' and args.method == 'duda':
        from mmseg_semivl.demo.duda_demo import run_duda_demo
        run_duda_demo(args.out or args.work_dir, args.seeds, args.iters, args.quick)
        return 0
    if args.task == 'uda':
        from mmseg_semivl.demo.uda_demo import run_uda_demo
        run_uda_demo(args.out or args.work_dir, args.data_root, args.method, args.iters,
                     args.seed, args.quick, guidance_weight=args.guidance_weight,
                     planted_checkpoint=args.planted_checkpoint,
                     planted_iters=args.planted_iters)
        return 0
    work_dir = osp.abspath(args.out or args.work_dir)
    os.makedirs(work_dir, exist_ok=True)
    start = time.time()
    data = scene_task(work_dir, args.num_labeled)
    base = Config.fromfile(DEMO_CONFIG)
    clip_description = ('the shipped tiny CLIPs pretrained on generated scenes (encoder '
                        'mmseg_semivl:tiny-scenes, guide mmseg_semivl:tiny-scenes-long)')
    if args.clip_weights:
        use_real_clip(base, args.clip_model, args.clip_weights)
        clip_description = f'{args.clip_model} from {args.clip_weights}'
    iters = args.iters or (4 if args.quick else base.train_cfg.max_iters)

    results, models = {}, {}
    for key, row in ROWS:
        cfg = build_row_config(base, row, args.seed, data, osp.join(work_dir, key), iters)
        out = train_row(cfg)
        results[key] = out['metrics']
        runner = out['runner']
        models[key] = runner.model.module if hasattr(runner.model, 'module') else runner.model
        print(f"[demo] {key}: mIoU {out['metrics']['mIoU']:.2f}", flush=True)

    val = [line.split() for line in read_split(data.val)][:3]
    unlabeled = [line.split() for line in read_split(data.unlabeled)][:3]
    palette = base.metainfo['palette']
    panel = picture(models, data.root, [(v[0], v[1]) for v in val + unlabeled], palette)
    panel_path = osp.join(work_dir, 'panel.png')
    cv2.imwrite(panel_path, panel[..., ::-1])

    summary = dict(
        supervised_only=results['supervised_only'],
        semivl=results['semivl'],
        clip=clip_description,
        num_labeled=args.num_labeled,
        num_unlabeled=len(read_split(data.unlabeled)),
        iterations=iters,
        seconds=round(time.time() - start, 1),
        panel=panel_path)
    with open(osp.join(work_dir, 'metrics.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    print(f'\nSemiVL demo: {args.num_labeled} labeled + {summary["num_unlabeled"]} unlabeled '
          f'scenes, {iters} iterations per model, {clip_description}')
    for key, label in (('supervised_only', 'supervised only'), ('semivl', 'SemiVL')):
        m = results[key]
        print(f"  {label:16s} mIoU {m['mIoU']:6.2f}  mAcc {m['mAcc']:6.2f}  aAcc {m['aAcc']:6.2f}")
    print(f'  picture: {panel_path}\n  metrics: {osp.join(work_dir, "metrics.json")}')
    return 0


if __name__ == '__main__':
    run_tool(main)
