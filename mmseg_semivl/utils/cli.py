"""Shared behaviour of the command-line tools."""
import argparse
import os
import os.path as osp
import sys
from typing import Callable, Optional, Sequence

from mmengine.config import Config, DictAction
from mmengine.logging import print_log

#: The AMP twin of each optim wrapper that `--amp` may switch (keeps the non-finite guard).
AMP_WRAPPERS = {
    'OptimWrapper': 'AmpOptimWrapper',
    'NonFiniteSkipOptimWrapper': 'NonFiniteSkipAmpOptimWrapper',
}


def run_tool(main: Callable[[Optional[Sequence[str]]], int]) -> None:
    """Run a tool's ``main`` and exit with its status.

    Bad input (a missing file, a wrong value, a missing optional dependency) ends the
    tool with one line ``error: <message>`` naming the culprit and exit status 1, not a
    traceback.
    """
    try:
        sys.exit(main(None))
    except (FileNotFoundError, ValueError, ImportError) as error:
        sys.exit(f'error: {error}')


def add_cfg_options(parser: argparse.ArgumentParser) -> None:
    """MMSeg's ``--cfg-options key=value ...``: merged into the config after it is read."""
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override some settings in the used config, the key-value pair '
        'in xxx=yyy format will be merged into config file.')


def add_launcher_args(parser: argparse.ArgumentParser) -> None:
    """MMSeg's ``--launcher`` and ``--local-rank`` (see :func:`export_local_rank`)."""
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    # torch.distributed.launch passes --local-rank; torchrun sets LOCAL_RANK.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def export_local_rank(args: argparse.Namespace) -> argparse.Namespace:
    """Set ``LOCAL_RANK`` from ``--local-rank`` when the launcher did not (MMEngine reads it)."""
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def load_run_config(config: str,
                    cfg_options: Optional[dict] = None,
                    work_dir: Optional[str] = None,
                    launcher: str = 'none') -> Config:
    """A config as MMSeg's train/test tools prepare it.

    ``--cfg-options`` are merged, the launcher is set, and the work dir is the given one,
    the config's own, or ``./work_dirs/<config name>``.
    """
    cfg = Config.fromfile(config)
    cfg.launcher = launcher
    if cfg_options is not None:
        cfg.merge_from_dict(cfg_options)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config))[0])
    return cfg


def _wrapper_cfgs(cfg: Config) -> list:
    """The optim wrapper configs of ``cfg``: the one, or each entry of a multi-optimizer
    ``SubmoduleOptimWrapperConstructor`` config (None entries are skipped)."""
    optim_wrapper = cfg.optim_wrapper
    if optim_wrapper.get('constructor') == 'SubmoduleOptimWrapperConstructor':
        return [v for k, v in optim_wrapper.items()
                if k not in ('constructor', 'paramwise_cfg') and v is not None]
    return [optim_wrapper]


def enable_bf16_amp(cfg: Config) -> Config:
    """Switch every optim wrapper of ``cfg`` to its AMP twin with bf16 (no loss scaling).

    Multi-optimizer configs (adversarial UDA: segmentor and discriminators) switch each
    wrapper, so both keep the non-finite guard.
    """
    for wrapper in _wrapper_cfgs(cfg):
        _enable_one(wrapper)
    return cfg


def _enable_one(wrapper) -> None:
    optim_wrapper = wrapper.get('type', 'OptimWrapper')
    if optim_wrapper in AMP_WRAPPERS.values():
        print_log('AMP training is already enabled in your config.', logger='current')
        return
    wrapper.type = AMP_WRAPPERS.get(optim_wrapper, 'AmpOptimWrapper')
    wrapper.setdefault('dtype', 'bfloat16')


def disable_amp(cfg: Config) -> Optional[str]:
    """Switch the AMP optim wrapper(s) of ``cfg`` back to their plain twins.

    Returns:
        str, optional: The AMP dtype the config asked for (``'float16'`` when it
        names none, mmengine's default; the first wrapper's for several), or None if
        AMP was not on.
    """
    dtypes = [_disable_one(w) for w in _wrapper_cfgs(cfg)]
    return next((d for d in dtypes if d is not None), None)


def _disable_one(wrapper) -> Optional[str]:
    plain_of = {amp: plain for plain, amp in AMP_WRAPPERS.items()}
    optim_wrapper = wrapper.get('type', 'OptimWrapper')
    if optim_wrapper not in plain_of:
        return None
    wrapper.type = plain_of[optim_wrapper]
    for key in ('loss_scale', 'use_fsdp'):
        wrapper.pop(key, None)
    dtype = wrapper.pop('dtype', None)
    return 'float16' if dtype is None else str(dtype).replace('torch.', '')


def configure_cpu_threads() -> Optional[int]:
    """On a machine without CUDA, one share of the cores per process unless told otherwise.

    PyTorch gives every process all cores; with several processes (CPU DDP, or other jobs
    on a shared machine) they oversubscribe them, and a step took ~7 s instead of
    0.2-0.5 s on 2 shared cores (docs/performance.md). ``OMP_NUM_THREADS`` set by the user
    always wins.

    Returns:
        int, optional: The thread count set, or None when nothing was changed.
    """
    import os

    import torch
    if torch.cuda.is_available() or os.environ.get('OMP_NUM_THREADS'):
        return None
    processes = int(os.environ.get('LOCAL_WORLD_SIZE', '1') or 1)
    threads = max(1, (os.cpu_count() or 1) // max(processes, 1))
    torch.set_num_threads(threads)
    print_log(f'CPU run: {threads} torch thread(s) per process ({processes} process(es) on '
              f'{os.cpu_count()} cores); set OMP_NUM_THREADS to choose', logger='current')
    return threads
