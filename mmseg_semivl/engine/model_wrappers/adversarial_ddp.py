"""DDP for segmentors with their own multi-optimizer ``train_step`` (adversarial UDA)."""
from __future__ import annotations

from typing import Dict, Union

import torch
from mmengine.model import MMDistributedDataParallel
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmengine.registry import MODEL_WRAPPERS

from .cpu_ddp import CPUDevicesMixin


@MODEL_WRAPPERS.register_module()
class AdversarialDistributedDataParallel(CPUDevicesMixin, MMDistributedDataParallel):
    """:class:`MMDistributedDataParallel` that hands ``train_step`` to the model.

    MMEngine's DDP wrapper runs one forward and one ``update_params`` on a single optim
    wrapper; an adversarial segmentor runs two passes with two optimizers. This wrapper
    calls ``module.train_step(data, optim_wrapper, ddp=self)``, and the module runs each
    pass through ``self`` (``forward`` modes ``adv_segmentor`` / ``adv_discriminator``),
    so DDP averages the gradients of both backward passes. Each pass leaves the other
    part's parameters unused (the discriminators are frozen in the first, the
    segmentor is not in the second's graph), hence ``find_unused_parameters=True``.

    Use it with ``model_wrapper_cfg = dict(type='AdversarialDistributedDataParallel')``
    (the adversarial method configs set it). Without CUDA it builds for CPU modules
    (:class:`~.cpu_ddp.CPUDevicesMixin`).

    Args:
        module (nn.Module): The segmentor (with ``train_step(data, optim_wrapper, ddp)``).
        find_unused_parameters (bool): Default: True (required, see above).
        **kwargs: Arguments of :class:`MMDistributedDataParallel`.
    """

    def __init__(self, module: torch.nn.Module, find_unused_parameters: bool = True,
                 **kwargs) -> None:
        super().__init__(module=module, find_unused_parameters=find_unused_parameters,
                         **kwargs)

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: Union[OptimWrapper, OptimWrapperDict]
                   ) -> Dict[str, torch.Tensor]:
        return self.module.train_step(data, optim_wrapper, ddp=self)
