"""Shared behaviour of the command-line tools."""
import os.path as osp
import sys
from typing import Callable, Optional, Sequence

from mmengine.config import Config
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


def enable_bf16_amp(cfg: Config) -> Config:
    """Switch ``cfg.optim_wrapper`` to its AMP twin with bf16 (no loss scaling needed)."""
    optim_wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
    if optim_wrapper in AMP_WRAPPERS.values():
        print_log('AMP training is already enabled in your config.', logger='current')
        return cfg
    cfg.optim_wrapper.type = AMP_WRAPPERS.get(optim_wrapper, 'AmpOptimWrapper')
    cfg.optim_wrapper.setdefault('dtype', 'bfloat16')
    return cfg


def disable_amp(cfg: Config) -> Optional[str]:
    """Switch an AMP ``cfg.optim_wrapper`` back to its plain twin.

    Returns:
        str, optional: The AMP dtype the config asked for (``'float16'`` when it
        names none, mmengine's default), or None if AMP was not on.
    """
    plain_of = {amp: plain for plain, amp in AMP_WRAPPERS.items()}
    optim_wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
    if optim_wrapper not in plain_of:
        return None
    cfg.optim_wrapper.type = plain_of[optim_wrapper]
    for key in ('loss_scale', 'use_fsdp'):
        cfg.optim_wrapper.pop(key, None)
    dtype = cfg.optim_wrapper.pop('dtype', None)
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
