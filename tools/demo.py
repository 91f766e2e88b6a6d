"""SemiVL out of the box: a short semi-supervised training, an evaluation and a picture.

Runs on a fresh machine without a dataset or a GPU. The data are real photos that
Python packages ship (see :mod:`mmseg_semivl.demo.data`). CLIP weights, in order:

1. ``--clip-weights FILE`` or the environment variable ``MMSEG_SEMIVL_CLIP_WEIGHTS``: a local
   open_clip checkpoint of ``--clip-model`` (OpenAI ViT-B/16 weights by default);
2. open_clip's ``pretrained='openai'`` download, when the weights host answers within a
   few seconds (no hanging on machines without internet);
3. otherwise a small randomly initialised CLIP, with a warning: the pipeline runs end to
   end, but the numbers then mean nothing.

Outputs under ``--work-dir`` (default ``demo_output``): ``metrics.json``, ``panel.png``
(image | ground truth | prediction | pseudo-label | dense CLIP guidance), the training log
and checkpoint.

Example::

    python tools/demo.py                 # about 2 minutes on 2 CPU cores
    python tools/demo.py --quick         # a few iterations (what CI runs)
"""
from __future__ import annotations

import argparse
import json
import os
import os.path as osp
import socket
import sys
import time
import warnings
from typing import Dict, List, Optional, Tuple

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
import mmseg_semivl  # noqa: E402,F401  (compat fixes + registration before mmseg)
import cv2  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from mmseg_semivl.demo import make_demo_dataset  # noqa: E402
from mmseg_semivl.visualization import make_panel, stack_rows  # noqa: E402

DEMO_CONFIG = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs', 'demo',
                       'semivl_tiny_demo.py')
WEIGHTS_ENV = 'MMSEG_SEMIVL_CLIP_WEIGHTS'
# open_clip fetches the OpenAI weights from the Hugging Face hub.
WEIGHTS_HOSTS = (('huggingface.co', 443), )


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Run the bundled SemiVL demo')
    parser.add_argument('--work-dir', default='demo_output', help='output folder')
    parser.add_argument('--iters', type=int, default=None,
                        help='training iterations (default: 40, or 4 with --quick)')
    parser.add_argument('--quick', action='store_true', help='a few iterations only')
    parser.add_argument('--clip-model', default='ViT-B-16', help='open_clip model name')
    parser.add_argument('--clip-weights', default=os.environ.get(WEIGHTS_ENV),
                        help=f'local CLIP checkpoint (default: ${WEIGHTS_ENV})')
    parser.add_argument('--offline', action='store_true',
                        help='do not try to download CLIP weights')
    parser.add_argument('--connect-timeout', type=float, default=3.0,
                        help='seconds to wait for the weights host before giving up')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args(argv)


def weights_host_reachable(timeout: float) -> bool:
    """True if a weights host accepts a TCP connection within ``timeout`` seconds."""
    for host, port in WEIGHTS_HOSTS:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                return True
        except OSError:
            continue
    return False


def resolve_clip(args, work_dir: str) -> Tuple[Dict, str]:
    """Choose the CLIP weights; returns config overrides and a description."""
    if args.clip_weights:
        if not osp.isfile(args.clip_weights):
            raise FileNotFoundError(f'CLIP weights file {args.clip_weights!r} does not exist')
        return (dict(model_name=args.clip_model, pretrained=args.clip_weights, quick_gelu=True),
                f'{args.clip_model} from {args.clip_weights}')
    if not args.offline and weights_host_reachable(args.connect_timeout):
        try:
            from mmseg_semivl.models.backbones import build_clip
            build_clip(args.clip_model, 'openai')  # download once into open_clip's cache
            return (dict(model_name=args.clip_model, pretrained='openai'),
                    f'{args.clip_model} (openai weights)')
        except Exception as err:  # noqa: BLE001  (any download failure -> tiny model)
            warnings.warn(f'downloading {args.clip_model} weights failed ({err}); '
                          'falling back to a random tiny CLIP')
    return tiny_clip(work_dir), 'a random tiny CLIP (no real weights found)'


def tiny_clip(work_dir: str) -> Dict:
    """A random tiny CLIP saved once, so the student, text side and guidance share it."""
    import open_clip

    from mmseg_semivl.models.backbones import TINY_CLIP_CFG
    path = osp.join(work_dir, 'tiny_clip_random.pt')
    if not osp.isfile(path):
        torch.manual_seed(0)
        torch.save(open_clip.CLIP(**TINY_CLIP_CFG).state_dict(), path)
    print('WARNING: no CLIP weights available (no --clip-weights, no internet). The demo '
          'runs with a RANDOMLY INITIALISED tiny CLIP: the pipeline runs end to end, but '
          'its numbers and pictures mean nothing. Pass --clip-weights FILE or set '
          f'{WEIGHTS_ENV} for real results.', file=sys.stderr)
    return dict(pretrained=path)


def build_config(args, clip: Dict, data_root: str, work_dir: str, iters: int) -> Config:
    cfg = Config.fromfile(DEMO_CONFIG)
    cfg.work_dir = work_dir
    cfg.randomness = dict(seed=args.seed)
    model = cfg.model
    if 'model_name' in clip:  # a real CLIP: its own architecture, not the tiny one
        width = 1024 if 'L-14' in clip['model_name'] else 768
        embed = 768 if 'L-14' in clip['model_name'] else 512
        for part in (model.backbone, model.guidance, model.decode_head.text_embeddings):
            part.pop('model_cfg', None)
            part.update(clip)
        model.backbone.skip_blocks = (0, 4)
        model.decode_head.in_channels = (width, width, embed)
        model.decode_head.text_channels = embed
        # The paper's VOC optimisation: lr 1e-4, encoder x0.01, decoder x10.
        cfg.optim_wrapper.optimizer.lr = 1e-4
        cfg.optim_wrapper.paramwise_cfg.custom_keys.backbone.lr_mult = 0.01
        cfg.optim_wrapper.paramwise_cfg.custom_keys.decode_head.lr_mult = 10.0
    else:
        for part in (model.backbone, model.guidance, model.decode_head.text_embeddings):
            part.pretrained = clip['pretrained']
    for dataset in cfg.train_dataloader.dataset.datasets:
        dataset.data_root = data_root
    cfg.val_dataloader.dataset.data_root = data_root
    cfg.test_dataloader = cfg.val_dataloader
    cfg.train_cfg.max_iters = iters
    cfg.train_cfg.val_interval = iters + 1  # evaluated once, after training
    cfg.param_scheduler[0].end = iters
    cfg.default_hooks.checkpoint.interval = iters
    cfg.default_hooks.logger.interval = max(1, min(10, iters // 4))
    return cfg


def read_rgb(path: str) -> np.ndarray:
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        raise OSError(f'cannot read image {path!r}')
    return img[..., ::-1].copy()


@torch.no_grad()
def picture(model, data_root: str, size: int, names: List[Tuple[str, Optional[str]]],
            palette) -> np.ndarray:
    """Rows of image | ground truth | prediction | pseudo-label | dense CLIP guidance."""
    model.eval()
    rows = []
    for image_name, label_name in names:
        rgb = cv2.resize(read_rgb(osp.join(data_root, image_name)), (size, size),
                         interpolation=cv2.INTER_AREA)
        gt = None
        if label_name is not None:
            gt = cv2.resize(cv2.imread(osp.join(data_root, label_name), cv2.IMREAD_UNCHANGED),
                            (size, size), interpolation=cv2.INTER_NEAREST)
        bgr = torch.from_numpy(rgb[..., ::-1].copy()).permute(2, 0, 1)
        batch = model.data_preprocessor(dict(inputs=[bgr], data_samples=None), False)
        maps = model.predict_training_targets(batch['inputs'])
        panel_maps = [('ground truth', gt)] + [
            (title, maps[key][0].cpu().numpy() if key in maps else None)
            for title, key in (('prediction', 'prediction'), ('pseudo-label', 'pseudo_label'),
                               ('CLIP guidance', 'guidance'))
        ]
        rows.append(make_panel(rgb, panel_maps, palette))
    return stack_rows(rows)


def main(argv=None) -> Dict:
    args = parse_args(argv)
    iters = args.iters or (4 if args.quick else 40)
    work_dir = osp.abspath(args.work_dir)
    os.makedirs(work_dir, exist_ok=True)
    start = time.time()

    clip, clip_description = resolve_clip(args, work_dir)
    data_root = osp.join(work_dir, 'data')
    splits = make_demo_dataset(data_root, seed=args.seed)
    cfg = build_config(args, clip, data_root, work_dir, iters)

    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = {k: float(v) for k, v in runner.val_loop.run().items()}

    model = runner.model.module if hasattr(runner.model, 'module') else runner.model
    unlabeled = [line.split() for line in open(osp.join(data_root, splits['unlabeled']))]
    val = [line.split() for line in open(osp.join(data_root, splits['val']))]
    rows = [(v[0], v[1]) for v in val] + [(u[0], u[1] if len(u) > 1 else None)
                                          for u in (unlabeled[0], unlabeled[-2], unlabeled[-1])]
    palette = runner.val_dataloader.dataset.metainfo['palette']
    panel = picture(model, data_root, cfg.crop_size[0], rows, palette)
    panel_path = osp.join(work_dir, 'panel.png')
    cv2.imwrite(panel_path, panel[..., ::-1])

    summary = dict(
        metrics=metrics,
        clip=clip_description,
        iterations=iters,
        seconds=round(time.time() - start, 1),
        panel=panel_path,
        meaningful=clip_description.startswith('a random') is False)
    with open(osp.join(work_dir, 'metrics.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    print(f"\nSemiVL demo: {iters} iterations with {clip_description}")
    print('  ' + '  '.join(f'{k}: {v:.2f}' for k, v in metrics.items()))
    print(f'  picture: {panel_path}\n  metrics: {osp.join(work_dir, "metrics.json")}')
    return summary


if __name__ == '__main__':
    main()
