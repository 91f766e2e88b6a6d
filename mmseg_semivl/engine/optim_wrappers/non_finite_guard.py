"""Optimizer wrappers that never let a non-finite loss or gradient reach the weights."""
from __future__ import annotations

import logging
from typing import Dict, List, Optional

import torch
from mmengine.dist import all_reduce, get_dist_info
from mmengine.logging import MessageHub, print_log
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from mmseg.registry import OPTIM_WRAPPERS

SKIPPED_STEPS_KEY = 'skipped_steps'
ON_NON_FINITE = ('skip', 'raise')


class NonFiniteStepError(FloatingPointError):
    """Raised by ``on_non_finite='raise'``; names the iteration and what was non-finite."""


class _NonFiniteGuardMixin:
    """Checks shared by the plain and the AMP wrapper (see :class:`NonFiniteSkipOptimWrapper`)."""

    def _init_guard(self, on_non_finite: str) -> None:
        if on_non_finite not in ON_NON_FINITE:
            raise ValueError(f'on_non_finite must be one of {ON_NON_FINITE}, '
                             f'got {on_non_finite!r}')
        self.on_non_finite = on_non_finite

    def update_params(self, loss: torch.Tensor, step_kwargs: Optional[Dict] = None,
                      zero_kwargs: Optional[Dict] = None) -> None:
        """Backward and step as MMEngine does, unless the loss is NaN/inf on any rank."""
        if not _agreed_finite(loss.detach()):
            # No backward at all: under DDP every rank skips together, none waits
            # in an all-reduce the others never join.
            self._skip_step(f'loss = {loss.detach().flatten()[:1].item()}')
            return
        super().update_params(loss, step_kwargs, zero_kwargs)
        MessageHub.get_current_instance().update_scalar(f'train/{SKIPPED_STEPS_KEY}',
                                                        skipped_steps())

    def _skip_step(self, what: str) -> None:
        hub = MessageHub.get_current_instance()
        iteration = hub.get_info('iter', 0) + 1  # the 1-based number the log shows
        message = f'non-finite training step at iteration {iteration}: {what}'
        if self.on_non_finite == 'raise':
            raise NonFiniteStepError(
                f'{message}. Stopped (optim_wrapper.on_non_finite="raise"); lower the '
                'learning rate, enable gradient clipping, or set on_non_finite="skip".')
        self.optimizer.zero_grad(set_to_none=True)  # drop accumulated gradients too
        count = skipped_steps() + 1
        hub.update_info(SKIPPED_STEPS_KEY, count)  # saved in checkpoints with the hub
        hub.update_scalar(f'train/{SKIPPED_STEPS_KEY}', count)
        print_log(f'{message}; the step is skipped ({count} skipped so far).',
                  logger='current', level=logging.WARNING)


@OPTIM_WRAPPERS.register_module()
class NonFiniteSkipOptimWrapper(_NonFiniteGuardMixin, OptimWrapper):
    """:class:`OptimWrapper` that skips (or stops at) steps with a NaN/inf loss or gradient.

    Before backward the loss is checked (all ranks agree on the outcome); before
    gradient clipping and ``optimizer.step`` every gradient is checked (DDP has
    already made them equal on all ranks). A bad step is skipped: gradients are zeroed,
    the weights and the optimizer state stay untouched, and the running count is
    kept in the message hub (runtime info and the logged scalar
    ``train/skipped_steps``, resumed with checkpoints).

    Args:
        on_non_finite (str): ``'skip'`` (default) or ``'raise'``, which stops with a
            :class:`NonFiniteStepError` naming the iteration.
        **kwargs: Arguments of :class:`OptimWrapper` (``optimizer``, ``clip_grad``,
            ``accumulative_counts``).
    """

    def __init__(self, on_non_finite: str = 'skip', **kwargs) -> None:
        super().__init__(**kwargs)
        self._init_guard(on_non_finite)

    def step(self, **kwargs) -> None:
        """Step unless a gradient is non-finite (identical on all ranks after DDP's sync)."""
        bad = _first_non_finite_grad(self.optimizer)
        if bad is not None:
            self._skip_step(f'gradient of a parameter of shape {tuple(bad.shape)} is not finite')
            return
        super().step(**kwargs)


@OPTIM_WRAPPERS.register_module()
class NonFiniteSkipAmpOptimWrapper(_NonFiniteGuardMixin, AmpOptimWrapper):
    """:class:`AmpOptimWrapper` that skips (or stops at) steps with a NaN/inf loss.

    Non-finite *gradients* are left to the loss scaler, which already skips those
    steps and lowers the scale (expected with float16, not an error).

    Args:
        on_non_finite (str): ``'skip'`` (default) or ``'raise'``.
        **kwargs: Arguments of :class:`AmpOptimWrapper` (``dtype``, ``loss_scale``, ...).
    """

    def __init__(self, on_non_finite: str = 'skip', **kwargs) -> None:
        super().__init__(**kwargs)
        self._init_guard(on_non_finite)


def skipped_steps() -> int:
    """Steps skipped so far in this run (resumed runs continue the count)."""
    return int(MessageHub.get_current_instance().get_info(SKIPPED_STEPS_KEY, 0))


def _agreed_finite(loss: torch.Tensor) -> bool:
    finite = torch.isfinite(loss).all()
    if get_dist_info()[1] > 1:
        flag = finite.to(torch.float32).reshape(1)
        all_reduce(flag, op='min')
        return bool(flag.item())
    return bool(finite)


def _first_non_finite_grad(optimizer: torch.optim.Optimizer) -> Optional[torch.Tensor]:
    grads: List[torch.Tensor] = [
        p.grad for group in optimizer.param_groups for p in group['params'] if p.grad is not None
    ]
    for grad in grads:
        if not torch.isfinite(grad).all():
            return grad
    return None
