"""Optimizer wrappers that never let a non-finite loss or gradient reach the weights."""
from __future__ import annotations

import contextlib
import logging
import weakref
from typing import Any, Dict, Iterator, List, Mapping, Optional

import torch
from mmengine.dist import all_reduce, get_dist_info
from mmengine.logging import MessageHub, print_log
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from mmseg.registry import OPTIM_WRAPPERS

SKIPPED_STEPS_KEY = 'skipped_steps'
CONSECUTIVE_KEY = 'consecutive_skipped_steps'
ON_NON_FINITE = ('skip', 'raise')
#: Consecutive skipped steps after which training stops (a diverged run).
DEFAULT_MAX_CONSECUTIVE_SKIPS = 20


class NonFiniteStepError(FloatingPointError):
    """Raised by ``on_non_finite='raise'``; names the iteration and what was non-finite."""


class _NonFiniteGuardMixin:
    """Checks shared by the plain and the AMP wrapper (see :class:`NonFiniteSkipOptimWrapper`)."""

    def _init_guard(self, on_non_finite: str, max_consecutive_skips: Optional[int]) -> None:
        if on_non_finite not in ON_NON_FINITE:
            raise ValueError(f'on_non_finite must be one of {ON_NON_FINITE}, '
                             f'got {on_non_finite!r}')
        if max_consecutive_skips is not None and (
                not isinstance(max_consecutive_skips, int) or max_consecutive_skips < 1):
            raise ValueError('optim_wrapper.max_consecutive_skips must be a positive int or '
                             f'None, got {max_consecutive_skips!r}')
        self.on_non_finite = on_non_finite
        self.max_consecutive_skips = max_consecutive_skips
        self._losses: Optional[Mapping[str, Any]] = None
        self._loss_hook = None
        self._hooked_model: Optional[torch.nn.Module] = None

    @contextlib.contextmanager
    def optim_context(self, model: torch.nn.Module) -> Iterator[None]:
        """MMEngine's context around the forward; also watches the model's loss dict.

        The wrapper only receives the summed loss. A forward hook (PyTorch's public
        API, registered once) keeps a reference to the dict of loss terms that the
        forward in ``mode='loss'`` returns, so that a skip can name the terms that were
        not finite; nothing is computed unless a step is skipped.
        """
        if self._hooked_model is not model:
            if self._loss_hook is not None:
                self._loss_hook.remove()
            self._loss_hook = model.register_forward_hook(_LossRecorder(self))
            self._hooked_model = model
        with super().optim_context(model):
            yield

    def _non_finite_terms(self) -> str:
        terms = []
        for name, value in (self._losses or {}).items():
            values = value if isinstance(value, (list, tuple)) else [value]
            tensors = [v.detach() for v in values if isinstance(v, torch.Tensor)]
            if tensors and not all(bool(torch.isfinite(t).all()) for t in tensors):
                mean = torch.stack([t.float().mean() for t in tensors]).mean().item()
                terms.append(f'{name}={mean}')
        return ', '.join(terms)

    def update_params(self, loss: torch.Tensor, step_kwargs: Optional[Dict] = None,
                      zero_kwargs: Optional[Dict] = None) -> None:
        """Backward and step as MMEngine does, unless the loss is NaN/inf on any rank."""
        try:
            if not _agreed_finite(loss.detach()):
                # No backward at all: under DDP every rank skips together, none waits
                # in an all-reduce the others never join.
                terms = self._non_finite_terms()
                what = f'loss = {loss.detach().flatten()[:1].item()}'
                self._skip_step(what + (f' (non-finite terms: {terms})' if terms else ''))
                return
            skipped_before = skipped_steps()
            super().update_params(loss, step_kwargs, zero_kwargs)
        finally:
            self._losses = None  # do not keep the graph's tensors until the next step
        hub = MessageHub.get_current_instance()
        hub.update_scalar(f'train/{SKIPPED_STEPS_KEY}', skipped_steps())
        if skipped_steps() == skipped_before:  # step() did not skip a bad gradient
            hub.update_info(CONSECUTIVE_KEY, 0)

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
        consecutive = int(hub.get_info(CONSECUTIVE_KEY, 0)) + 1
        hub.update_info(SKIPPED_STEPS_KEY, count)  # saved in checkpoints with the hub
        hub.update_info(CONSECUTIVE_KEY, consecutive)
        hub.update_scalar(f'train/{SKIPPED_STEPS_KEY}', count)
        if self.max_consecutive_skips is not None and consecutive >= self.max_consecutive_skips:
            # A run whose every step is skipped would otherwise end "successfully"
            # with the initial weights.
            raise NonFiniteStepError(
                f'{message}; {consecutive} consecutive steps skipped '
                f'(optim_wrapper.max_consecutive_skips={self.max_consecutive_skips}). '
                'Stopped: lower the learning rate, enable gradient clipping, or check the '
                'data and the loss terms named above.')
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
        max_consecutive_skips (int, optional): Stop with a :class:`NonFiniteStepError`
            (naming the iteration and the non-finite loss terms) when this many steps in
            a row were skipped; None never stops. Defaults to 20.
        **kwargs: Arguments of :class:`OptimWrapper` (``optimizer``, ``clip_grad``,
            ``accumulative_counts``).
    """

    def __init__(self, on_non_finite: str = 'skip',
                 max_consecutive_skips: Optional[int] = DEFAULT_MAX_CONSECUTIVE_SKIPS,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self._init_guard(on_non_finite, max_consecutive_skips)

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
        max_consecutive_skips (int, optional): As for :class:`NonFiniteSkipOptimWrapper`.
        **kwargs: Arguments of :class:`AmpOptimWrapper` (``dtype``, ``loss_scale``, ...).
    """

    def __init__(self, on_non_finite: str = 'skip',
                 max_consecutive_skips: Optional[int] = DEFAULT_MAX_CONSECUTIVE_SKIPS,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self._init_guard(on_non_finite, max_consecutive_skips)


class _LossRecorder:
    """Forward hook that hands the loss dict to its wrapper.

    Holds the wrapper weakly: a deep copy of the model (EMA teachers, tools) must not
    copy the optimizer along with the hook.
    """

    def __init__(self, wrapper: _NonFiniteGuardMixin) -> None:
        self._wrapper = weakref.ref(wrapper)

    def __call__(self, module: torch.nn.Module, args: Any, output: Any) -> None:
        wrapper = self._wrapper()
        if wrapper is not None:
            wrapper._losses = output if isinstance(output, Mapping) else None


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
