"""Pretrain the tiny scenes CLIP and measure what it knows.

Contrastive pre-training of a 5.35 M-parameter open_clip CLIP on generated captioned
scenes (``mmseg_semivl.datasets.synthetic.scenes``), deterministic from ``--seed`` at a
given thread count, then zero-shot classification and dense MaskCLIP segmentation on
held-out scenes. Writes the compact weights that the package ships
(``mmseg_semivl/tiny_clip/tiny_scenes_clip.pt``, 1.2 MB, with the recipe and the
measured numbers inside) and prints the numbers.

Examples::

    OMP_NUM_THREADS=1 python tools/pretrain_tiny_clip.py                # the shipped weights
    python tools/pretrain_tiny_clip.py --steps 200 --out /tmp/clip.pt   # a quick try
    python tools/pretrain_tiny_clip.py --eval-only                      # re-measure shipped
"""
from __future__ import annotations

import argparse
import json
import os
import os.path as osp
import sys
import tempfile

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
import mmseg_semivl  # noqa: E402,F401  (registration before mmseg)
import torch  # noqa: E402

from mmseg_semivl.models.backbones import TINY_SCENES_CLIP_CFG  # noqa: E402
from mmseg_semivl.tiny_clip.evaluate import dense_zero_shot, zero_shot_classification  # noqa
from mmseg_semivl.tiny_clip.pretrain import PretrainConfig, pretrain  # noqa: E402
from mmseg_semivl.tiny_clip.weights import (SHIPPED, WEIGHTS_DIR, load_compact,  # noqa: E402
                                            save_compact)

DEFAULT_OUT = osp.join(WEIGHTS_DIR, SHIPPED['tiny-scenes'])


def parse_args(argv=None):
    defaults = PretrainConfig()
    parser = argparse.ArgumentParser(description='Pretrain the tiny scenes CLIP')
    parser.add_argument('--steps', type=int, default=defaults.steps)
    parser.add_argument('--batch-size', type=int, default=defaults.batch_size)
    parser.add_argument('--lr', type=float, default=defaults.lr)
    parser.add_argument('--weight-decay', type=float, default=defaults.weight_decay)
    parser.add_argument('--warmup', type=int, default=defaults.warmup)
    parser.add_argument('--seed', type=int, default=defaults.seed)
    parser.add_argument('--threads', type=int, default=1,
                        help='torch threads (results are reproducible per thread count)')
    parser.add_argument('--out', default=DEFAULT_OUT, help='compact weights file to write')
    parser.add_argument('--eval-only', action='store_true',
                        help='measure the weights in --out instead of training')
    return parser.parse_args(argv)


def measure(state_dict, model_cfg) -> dict:
    """Zero-shot numbers of a state dict, through the real checkpoint-loading path."""
    with tempfile.TemporaryDirectory() as tmp:
        path = osp.join(tmp, 'clip.pt')
        torch.save(state_dict, path)
        numbers = zero_shot_classification(path, model_cfg)
        # Guidance confidence at SemiVL's fixed temperature and at the model's own scale.
        numbers.update(dense_zero_shot(path, model_cfg,
                                       temperatures=(100.0, round(numbers['logit_scale'], 2))))
    return {k: round(v, 4) for k, v in numbers.items()}


def main(argv=None) -> dict:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.eval_only:
        compact = load_compact(args.out)
        numbers = measure(compact['state_dict'], compact['model_cfg'])
        print(json.dumps(dict(recorded=compact['meta'].get('metrics'), measured=numbers),
                         indent=2))
        return numbers
    cfg = PretrainConfig(steps=args.steps, batch_size=args.batch_size, lr=args.lr,
                         weight_decay=args.weight_decay, warmup=args.warmup, seed=args.seed)
    result = pretrain(cfg, TINY_SCENES_CLIP_CFG)
    state_dict = result['model'].state_dict()
    # Measure the weights as shipped (fp16 tensors, expanded token rows).
    save_compact(state_dict, args.out, TINY_SCENES_CLIP_CFG, cfg.seed)
    numbers = measure(load_compact(args.out)['state_dict'], TINY_SCENES_CLIP_CFG)
    meta = dict(recipe=result['config'], threads=args.threads, seconds=result['seconds'],
                history=result['history'], metrics=numbers,
                command='OMP_NUM_THREADS=1 python tools/pretrain_tiny_clip.py')
    save_compact(state_dict, args.out, TINY_SCENES_CLIP_CFG, cfg.seed, meta)
    print(json.dumps(dict(out=args.out, size_mb=round(os.path.getsize(args.out) / 2**20, 2),
                          seconds=result['seconds'], metrics=numbers), indent=2))
    return numbers


if __name__ == '__main__':
    main()
