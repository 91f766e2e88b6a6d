"""Distributed training on CPU-only machines (gloo), as explicit parts instead of patches.

MMEngine's distributed path assumes GPUs three times: ``init_dist('pytorch')`` calls
``torch.cuda.set_device`` and defaults to NCCL, the runner passes
``device_ids=[LOCAL_RANK]`` to the DDP wrapper (refused for CPU modules), and SyncBN is
CUDA-only. ``tools/train.py`` / ``tools/test.py`` call :func:`setup_cpu_distributed`
before building the runner: it opens the gloo process group itself (MMEngine then skips
its own initialisation) and selects :class:`CPUDistributedDataParallel`. Nothing happens
on machines with CUDA, and nothing is patched: code that does not use these tools is
unchanged.
"""
from __future__ import annotations

import torch
import torch.distributed as dist
from mmengine.config import Config
from mmengine.model import MMDistributedDataParallel, revert_sync_batchnorm
from mmengine.registry import MODEL_WRAPPERS


class CPUDevicesMixin:
    """Drop ``device_ids`` / ``output_device`` and revert SyncBN when CUDA is absent."""

    def __init__(self, module: torch.nn.Module, *args, **kwargs) -> None:
        if not torch.cuda.is_available():
            kwargs.pop('device_ids', None)
            kwargs.pop('output_device', None)
            module = revert_sync_batchnorm(module)
        super().__init__(module, *args, **kwargs)


@MODEL_WRAPPERS.register_module()
class CPUDistributedDataParallel(CPUDevicesMixin, MMDistributedDataParallel):
    """:class:`MMDistributedDataParallel` that also runs without CUDA (gloo, CPU modules).

    With CUDA it is exactly MMEngine's wrapper. Selected by :func:`setup_cpu_distributed`
    (``broadcast_buffers=False`` and ``find_unused_parameters`` as MMEngine's default
    wrapping).
    """


#: Wrapper types that :func:`setup_cpu_distributed` maps to their CPU-capable version.
CPU_WRAPPERS = {'MMDistributedDataParallel': 'CPUDistributedDataParallel'}


def setup_cpu_distributed(cfg: Config, launcher: str) -> bool:
    """Prepare a distributed run on a machine without CUDA; no-op otherwise.

    Opens the gloo process group from the launcher's environment (``RANK``,
    ``WORLD_SIZE``, ``MASTER_ADDR``, ``MASTER_PORT``) and sets ``cfg.model_wrapper_cfg``
    to a wrapper that builds without ``device_ids``.

    Args:
        cfg (Config): The run's config (``model_wrapper_cfg`` updated in place).
        launcher (str): ``'none'``, ``'pytorch'``, ``'slurm'`` or ``'mpi'``.

    Returns:
        bool: True if the CPU setup was applied.

    Raises:
        ValueError: A launcher other than ``pytorch`` without CUDA, or a custom wrapper
            type that does not accept CPU modules; the message names it.
    """
    if launcher == 'none' or torch.cuda.is_available():
        return False
    if launcher != 'pytorch':
        raise ValueError(f"--launcher {launcher} needs GPUs; CPU-only distributed runs take "
                         "--launcher pytorch (torchrun, tools/dist_train.sh)")
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel', broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper_type = wrapper.get('type', 'MMDistributedDataParallel')
    wrapper_type = CPU_WRAPPERS.get(wrapper_type, wrapper_type)
    cls = MODEL_WRAPPERS.get(wrapper_type)
    if cls is None or not issubclass(cls, CPUDevicesMixin):
        raise ValueError(f'model_wrapper_cfg.type={wrapper_type!r} cannot wrap CPU modules; '
                         'derive it from mmseg_semivl.engine.model_wrappers.CPUDevicesMixin')
    cfg.model_wrapper_cfg = dict(wrapper, type=wrapper_type)
    if not dist.is_initialized():  # MMEngine's runner then skips its CUDA-only init_dist
        dist.init_process_group(backend='gloo')
    return True


__all__ = ['CPUDevicesMixin', 'CPUDistributedDataParallel', 'setup_cpu_distributed']
