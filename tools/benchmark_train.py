"""Benchmark SemiVL training steps: time, memory, FLOPs and each part's share.

Examples::

    # tiny demo model on CPU, random batches (no dataset needed)
    python tools/benchmark_train.py configs/demo/semivl_tiny_demo.py --synthetic \
        --iters 5 --warmup 1 --json work_dirs/bench_tiny.json
    # a full-size config on a GPU, bf16 AMP, 8 labeled + 8 unlabeled images
    python tools/benchmark_train.py CONFIG --synthetic --amp --batch-size 16
    # FLOPs and estimated peak memory on fake tensors (no arithmetic: any machine)
    python tools/benchmark_train.py configs/_base_/models/semivl_vit-b16.py \
        configs/_base_/schedules/adamw_poly.py --synthetic --fake --amp --batch-size 16 \
        --cfg-options model.backbone.pretrained=None model.guidance.pretrained=None \
        model.decode_head.text_embeddings.pretrained=None

Several config files are merged in order (later ones override), so a model base and
a schedule base make a complete benchmark config without a dataset.
"""
import argparse
import itertools
import json
import os
import os.path as osp
import sys
import time
from typing import Callable, Dict, List, Optional, Tuple

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
import mmseg_semivl  # noqa: E402,F401  (compat fixes + registration before mmseg)
import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.logging import MMLogger  # noqa: E402
from mmengine.optim import build_optim_wrapper  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402
from mmengine.runner import Runner  # noqa: E402
from mmseg.registry import MODELS  # noqa: E402

from mmseg_semivl.analysis import (FakeExecution, TrainStepBenchmark,  # noqa: E402
                                   device_name, emulate_cuda_amp)
from mmseg_semivl.utils import make_synthetic_semi_batch  # noqa: E402
from mmseg_semivl.utils.cli import add_cfg_options, disable_amp, enable_bf16_amp  # noqa: E402


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Benchmark training steps of a segmentor')
    parser.add_argument('config', nargs='+', help='config file(s), merged in order')
    parser.add_argument('--iters', type=int, default=10, help='timed iterations')
    parser.add_argument('--warmup', type=int, default=2, help='untimed iterations first')
    parser.add_argument('--amp', action='store_true',
                        help='bf16 automatic mixed precision (AmpOptimWrapper; GPU only, '
                        'emulated with --fake)')
    parser.add_argument('--batch-size', type=int,
                        help='samples per step on this device, labeled + unlabeled '
                        '(default: the train dataloader batch size, else 2)')
    parser.add_argument('--synthetic', action='store_true',
                        help='random batches of the crop size instead of the dataset')
    parser.add_argument('--device', choices=['auto', 'cpu', 'cuda'], default='auto',
                        help='where to run (auto: cuda if available)')
    parser.add_argument('--fake', '--flops-only', dest='fake', action='store_true',
                        help='run steps on fake tensors (shapes only, no arithmetic: '
                        'full-size models on any machine): FLOPs and an estimate of the '
                        'peak tensor memory, no timing; with --amp the forward runs under '
                        'CPU autocast casting like CUDA autocast')
    parser.add_argument('--seed', type=int, default=0, help='seed of the synthetic batch')
    parser.add_argument('--log-level', default='WARNING', help='mmengine log level')
    parser.add_argument('--json', metavar='OUT', help='write the numbers to this JSON file')
    add_cfg_options(parser)
    parser.set_defaults(amp_dtype='bfloat16')  # --amp's; a config's own AMP may differ
    return parser.parse_args(argv)


def build_config(args: argparse.Namespace) -> Config:
    """Merge the config files and the overrides; switch on bf16 AMP if asked."""
    cfg = Config.fromfile(args.config[0])
    for path in args.config[1:]:
        cfg.merge_from_dict(Config.fromfile(path).to_dict())
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    for key in ('model', 'optim_wrapper'):
        if key not in cfg:
            raise KeyError(f"the config {args.config} has no '{key}'; add a file that "
                           'defines it (e.g. configs/_base_/schedules/adamw_poly.py)')
    if args.fake:
        # AmpOptimWrapper needs a GPU: a config's AMP is emulated like --amp.
        amp_dtype = disable_amp(cfg)
        if amp_dtype is not None:
            args.amp, args.amp_dtype = True, amp_dtype
    elif args.amp:
        enable_bf16_amp(cfg)  # as tools/train.py --amp
    return cfg


def resolve_device(name: str, amp: bool, fake: bool = False) -> torch.device:
    if fake:
        # Fake CUDA tensors cannot run a backward without a GPU; fake CPU tensors
        # stand in for them (see mmseg_semivl.analysis.memory_tracker).
        return torch.device('cpu')
    if name == 'auto':
        name = 'cuda' if torch.cuda.is_available() else 'cpu'
    if name == 'cuda' and not torch.cuda.is_available():
        raise RuntimeError('--device cuda: no GPU is available')
    if amp and name != 'cuda':
        raise ValueError(f'--amp needs a GPU (mmengine AmpOptimWrapper), got --device {name}; '
                         '--fake estimates a bf16 step without one')
    return torch.device(name)


def split_batch(cfg: Config, batch_size: Optional[int]) -> Tuple[int, int]:
    """(labeled, unlabeled) samples per batch, with the sampler's source ratio."""
    loader = cfg.get('train_dataloader', {})
    batch_size = batch_size or loader.get('batch_size', 2)
    ratio = loader.get('sampler', {}).get('source_ratio', (1, 1))
    num_labeled = max(round(batch_size * ratio[0] / sum(ratio)), 1)
    if batch_size - num_labeled < 1:
        raise ValueError(f'--batch-size {batch_size} leaves no unlabeled sample '
                         f'(source ratio {tuple(ratio)})')
    return num_labeled, batch_size - num_labeled


def crop_size_of(model: torch.nn.Module, cfg: Config) -> Tuple[int, int]:
    size = getattr(model.data_preprocessor, 'size', None) or cfg.get('crop_size')
    if size is None:
        raise KeyError('--synthetic needs the crop size: set model.data_preprocessor.size '
                       'or crop_size in the config')
    return tuple(size)


def data_source(args: argparse.Namespace, cfg: Config, model: torch.nn.Module,
                num_labeled: int, num_unlabeled: int) -> Callable[[], Dict]:
    """A function returning the next batch: a fixed synthetic one, or the loader's."""
    if args.synthetic:
        batch = make_synthetic_semi_batch(num_labeled, num_unlabeled, crop_size_of(model, cfg),
                                          model.decode_head.num_classes, seed=args.seed)
        return lambda: batch
    loader_cfg = cfg.train_dataloader.copy()
    loader_cfg.batch_size = num_labeled + num_unlabeled
    loader_cfg.sampler = dict(loader_cfg.sampler, batch_size=loader_cfg.batch_size)
    batches = itertools.cycle(Runner.build_dataloader(loader_cfg, seed=args.seed))
    return lambda: next(batches)


def run(args: argparse.Namespace) -> Dict:
    cfg = build_config(args)
    # Keep the optimizer constructor's per-parameter log lines out of the report. A
    # fresh logger per run (named by time, as mmengine's Runner does) becomes current.
    MMLogger.get_instance(f'benchmark_train_{time.strftime("%Y%m%d_%H%M%S")}_{os.getpid()}_'
                          f'{time.perf_counter_ns()}', log_level=args.log_level)
    device = resolve_device(args.device, args.amp, args.fake)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model = MODELS.build(cfg.model).to(device).train()
    fake_execution = None
    if args.fake:
        fake_execution = FakeExecution()
        fake_execution.fakeify(model)
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    if args.fake and args.amp:
        emulate_cuda_amp(optim_wrapper, getattr(torch, args.amp_dtype))
    num_labeled, num_unlabeled = split_batch(cfg, args.batch_size)
    batch_size = num_labeled + num_unlabeled
    bench = TrainStepBenchmark(model, optim_wrapper,
                               data_source(args, cfg, model, num_labeled, num_unlabeled),
                               batch_size, num_pairs=min(num_labeled, num_unlabeled),
                               fake_execution=fake_execution)
    results = dict(
        config=list(args.config), cfg_options=args.cfg_options or {},
        device=str(device), device_name=device_name(device), fake=args.fake,
        amp=args.amp, synthetic=args.synthetic,
        batch_size=batch_size, num_labeled=num_labeled, num_unlabeled=num_unlabeled,
        num_classes=model.decode_head.num_classes, iters=args.iters, warmup=args.warmup)
    if not args.fake:
        results.update(bench.time(args.iters, args.warmup))
    results.update(bench.count_flops())
    if args.fake:
        results.update(bench.estimate_memory())
    if 'sec_per_iter' in results:
        results['tflops_per_sec'] = results['flops_per_step'] / results['sec_per_iter'] / 1e12
    return results


def summary(results: Dict) -> str:
    """Human-readable lines of the results."""
    lines = [f"device: {results['device_name']}, batch {results['num_labeled']} labeled + "
             f"{results['num_unlabeled']} unlabeled, {results['num_classes']} classes, "
             f"amp={results['amp']}"]
    if 'sec_per_iter' in results:
        lines += [f"sec/iter: {results['sec_per_iter']:.4f}",
                  f"images/s: {results['images_per_sec']:.2f}",
                  f"peak memory ({results['memory_kind']}): {results['peak_memory_mb']:.0f} MiB",
                  f"achieved TFLOP/s: {results['tflops_per_sec']:.4f}"]
    if 'peak_memory_estimate_mb' in results:
        parts = ', '.join(f'{name} {mb:.0f}'
                          for name, mb in results['memory_estimate_parts_mb'].items())
        lines.append(f"estimated peak tensor memory: {results['peak_memory_estimate_mb']:.0f} "
                     f'MiB ({parts} MiB; fake tensors, not measured)')
    lines += [f"FLOPs/step: {results['flops_per_step'] / 1e12:.4f} T "
              f"({results['flops_per_pair'] / 1e12:.4f} T per labeled+unlabeled pair)"]
    for part, flops in results['flop_parts'].items():
        share = results['flop_shares'][part]
        time_share = results.get('time_shares', {}).get(part)
        timing = '' if time_share is None else f', time {100 * time_share:5.1f} %'
        lines.append(f'  {part:22s} FLOPs {flops / 1e9:10.2f} G ({100 * share:5.1f} %){timing}')
    return '\n'.join(lines)


def main(argv: Optional[List[str]] = None) -> Dict:
    args = parse_args(argv)
    results = run(args)
    print(summary(results))
    if args.json:
        os.makedirs(osp.dirname(osp.abspath(args.json)), exist_ok=True)
        with open(args.json, 'w') as f:
            json.dump(results, f, indent=2)
    return results


if __name__ == '__main__':
    main()
