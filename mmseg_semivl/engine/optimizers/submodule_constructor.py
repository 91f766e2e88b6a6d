"""One optim wrapper per submodule: an ``OptimWrapperDict`` for adversarial training."""
from __future__ import annotations

import copy
from typing import Dict, Optional

import torch.nn as nn
from mmengine.optim import OptimWrapperDict
from mmseg.registry import OPTIM_WRAPPER_CONSTRUCTORS

#: The inner constructor when an entry names none.
DEFAULT_INNER_CONSTRUCTOR = 'TrainableParamsOptimWrapperConstructor'


def get_submodule(model: nn.Module, path: str) -> nn.Module:
    """``model.<path>`` for a dotted path; a one-line error names what is missing."""
    module = model
    for part in path.split('.'):
        child = getattr(module, part, None)
        if not isinstance(child, nn.Module):
            raise KeyError(f'optim_wrapper: the model has no submodule {path!r} '
                           f'({type(module).__name__} has no module {part!r})')
        module = child
    return module


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class SubmoduleOptimWrapperConstructor:
    """Build an ``OptimWrapperDict``: one optim wrapper per named submodule.

    ``optim_wrapper`` config::

        optim_wrapper = dict(
            constructor='SubmoduleOptimWrapperConstructor',
            segmentor=dict(module='student', type='NonFiniteSkipOptimWrapper',
                           optimizer=dict(type='SGD', lr=2.5e-3, momentum=0.9),
                           paramwise_cfg=dict(custom_keys={'decode_head': dict(lr_mult=10.)})),
            discriminator=dict(module='discriminators', type='NonFiniteSkipOptimWrapper',
                               optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.99))))

    Each entry is an ordinary optim wrapper config (``type``, ``optimizer``,
    ``clip_grad``, ``accumulative_counts``, AMP's ``dtype`` / ``loss_scale``) plus
    ``module`` (dotted path of the submodule it optimises; default: the entry's key),
    ``paramwise_cfg`` (parameter names relative to that submodule) and ``constructor``
    (default ``TrainableParamsOptimWrapperConstructor``). Every trainable parameter of
    the model must belong to exactly one entry, so no parameter is silently left out
    or stepped twice. An entry set to None is left out.

    Args:
        optim_wrapper_cfg (dict): The entries, by optimizer name (the keys of the
            ``OptimWrapperDict`` and of a dict ``param_scheduler``).
        paramwise_cfg (dict, optional): Must be None (set it per entry).
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: Optional[dict] = None) -> None:
        if paramwise_cfg:
            raise ValueError('SubmoduleOptimWrapperConstructor: set paramwise_cfg inside each '
                             'optimizer entry, not at the top level')
        if not optim_wrapper_cfg:
            raise ValueError('SubmoduleOptimWrapperConstructor: no optimizer entries given')
        # An entry set to None is dropped (MinEnt removes the discriminators' optimizer
        # of a shared schedule this way).
        optim_wrapper_cfg = {k: v for k, v in optim_wrapper_cfg.items() if v is not None}
        if not optim_wrapper_cfg:
            raise ValueError('SubmoduleOptimWrapperConstructor: every optimizer entry is None')
        for name, cfg in optim_wrapper_cfg.items():
            if not isinstance(cfg, dict) or 'optimizer' not in cfg:
                raise ValueError(f'SubmoduleOptimWrapperConstructor: entry {name!r} must be an '
                                 f'optim wrapper config with an optimizer, got {cfg!r}')
        self.optim_wrapper_cfg = copy.deepcopy(dict(optim_wrapper_cfg))

    def __call__(self, model: nn.Module) -> OptimWrapperDict:
        from mmengine.optim import build_optim_wrapper  # noqa: E402 (registry import order)

        module = model.module if hasattr(model, 'module') else model
        wrappers: Dict[str, object] = {}
        owner: Dict[int, str] = {}
        for name, cfg in self.optim_wrapper_cfg.items():
            cfg = copy.deepcopy(cfg)
            path = cfg.pop('module', name)
            cfg.setdefault('constructor', DEFAULT_INNER_CONSTRUCTOR)
            submodule = get_submodule(module, path)
            for param in submodule.parameters():
                if param.requires_grad and id(param) in owner:
                    raise ValueError(f'optim_wrapper: {name!r} ({path}) and {owner[id(param)]!r} '
                                     'share parameters; give each submodule one optimizer')
                owner.setdefault(id(param), name)
            wrappers[name] = build_optim_wrapper(submodule, cfg)
        orphans = [n for n, p in module.named_parameters()
                   if p.requires_grad and id(p) not in owner]
        if orphans:
            raise ValueError(f'optim_wrapper: {len(orphans)} trainable parameters are in no '
                             f'optimizer, e.g. {orphans[0]!r}; add an entry for their module')
        return OptimWrapperDict(**wrappers)
