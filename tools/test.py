"""Evaluate a checkpoint (MMSeg's tools/test.py, with the plugin imported first).

Examples::

    python tools/test.py configs/semivl/voc_92.py work_dirs/voc_92/iter_80000.pth
    python tools/test.py CONFIG CKPT --show-dir vis --out preds
    bash tools/dist_test.sh CONFIG CKPT 8
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
import mmseg_semivl  # noqa: E402,F401  (compat fixes + registration before mmseg)
from mmengine.config import Config  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from mmseg_semivl.engine.model_wrappers import setup_cpu_distributed  # noqa: E402
from mmseg_semivl.utils.cli import (add_cfg_options, add_launcher_args,  # noqa: E402
                                    configure_cpu_threads, export_local_rank, load_run_config)

#: Test sets up to this size get every picture with --show/--show-dir (MMSeg's hook
#: draws every 50th batch, i.e. nothing at all for a set of fewer than 50 images).
SHOW_ALL_UP_TO = 1000


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test (and evaluate) a segmentor')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the directory to save the metric file')
    parser.add_argument('--out', type=str, help='directory to save the raw label PNGs')
    parser.add_argument('--show', action='store_true', help='show prediction results')
    parser.add_argument('--show-dir', help='directory to save painted predictions')
    parser.add_argument('--wait-time', type=float, default=2, help='show interval (s)')
    parser.add_argument(
        '--show-interval', type=int, default=None,
        help='draw every N-th test batch with --show/--show-dir; default every batch for '
        f'test sets of up to {SHOW_ALL_UP_TO} images, else the config\'s interval')
    add_cfg_options(parser)
    add_launcher_args(parser)
    parser.add_argument('--tta', action='store_true', help='test time augmentation')
    return export_local_rank(parser.parse_args(argv))


def trigger_visualization_hook(cfg, args):
    default_hooks = cfg.default_hooks
    if 'visualization' not in default_hooks:
        raise RuntimeError(
            'VisualizationHook must be included in default_hooks to use --show or '
            '--show-dir; refer to MMSeg\'s default_runtime.py.')
    visualization_hook = default_hooks['visualization']
    visualization_hook['draw'] = True
    if args.show_interval is not None:
        if args.show_interval < 1:
            raise ValueError(f'--show-interval must be >= 1, got {args.show_interval}')
        visualization_hook['interval'] = args.show_interval
    if args.show:
        visualization_hook['show'] = True
        visualization_hook['wait_time'] = args.wait_time
    if args.show_dir:
        visualizer = cfg.visualizer
        visualizer['save_dir'] = args.show_dir
    return cfg


def build_config(args) -> Config:
    cfg = load_run_config(args.config, args.cfg_options, args.work_dir, args.launcher)
    cfg.load_from = args.checkpoint
    if args.show or args.show_dir:
        cfg = trigger_visualization_hook(cfg, args)
    if args.tta:
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
        cfg.tta_model.module = cfg.model
        cfg.model = cfg.tta_model
    if args.out is not None:
        cfg.test_evaluator['output_dir'] = args.out
        cfg.test_evaluator['keep_results'] = True
    return cfg


def show_all_of_small_test_sets(runner: Runner, max_images: int = SHOW_ALL_UP_TO) -> None:
    """Draw every test batch when the test set has at most ``max_images`` images."""
    from mmseg.engine.hooks import SegVisualizationHook
    hooks = [h for h in runner.hooks if isinstance(h, SegVisualizationHook) and h.draw]
    if hooks and len(runner.test_dataloader.dataset) <= max_images:
        for hook in hooks:
            hook.interval = 1


def main(argv=None):
    args = parse_args(argv)
    configure_cpu_threads()
    cfg = build_config(args)
    setup_cpu_distributed(cfg, args.launcher)  # gloo + a CPU DDP wrapper without CUDA
    runner = Runner.from_cfg(cfg)
    if (args.show or args.show_dir) and args.show_interval is None:
        show_all_of_small_test_sets(runner)
    return runner.test()


if __name__ == '__main__':
    main()
