"""Optimizer constructor that only ever sees the trainable parameters."""
from __future__ import annotations

import logging

import torch.nn as nn
from mmengine.logging import MMLogger, print_log
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapper
from mmseg.registry import OPTIM_WRAPPER_CONSTRUCTORS

_SKIP_MESSAGE = 'is skipped since its requires_grad=False'


class _DropFrozenSkips(logging.Filter):

    def filter(self, record: logging.LogRecord) -> bool:
        return _SKIP_MESSAGE not in record.getMessage()


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class TrainableParamsOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """MMEngine's default constructor, restricted to ``requires_grad`` parameters.

    SemiVL freezes most of its parameters (the MLPs of the spatially fine-tuned
    encoder and the whole guidance CLIP). MMEngine would put frozen parameters into
    an optimizer group when no ``paramwise_cfg`` is given, and log one warning per
    frozen tensor when it is; here frozen tensors sit in no group and one summary
    line is logged instead.
    """

    def __call__(self, model: nn.Module) -> OptimWrapper:
        module = model.module if hasattr(model, 'module') else model
        if not self.paramwise_cfg:
            # An empty custom_keys routes through add_params, which drops frozen ones.
            self.paramwise_cfg = dict(custom_keys={})
        logger = MMLogger.get_current_instance()
        skip_filter = _DropFrozenSkips()
        logger.addFilter(skip_filter)
        try:
            optim_wrapper = super().__call__(model)
        finally:
            logger.removeFilter(skip_filter)
        trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
        frozen = sum(p.numel() for p in module.parameters() if not p.requires_grad)
        print_log(f'optimizer: {trainable:,} trainable parameters, {frozen:,} frozen '
                  '(not in any optimizer group)', logger='current')
        return optim_wrapper
