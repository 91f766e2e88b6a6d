"""Validation on several domains during training, each logged under its own prefix."""
from __future__ import annotations

import copy
import logging
from typing import Dict, Optional, Sequence

import torch
from mmengine.logging import print_log
from mmengine.runner import ValLoop
from mmengine.runner.amp import autocast
from mmseg.registry import LOOPS


@LOOPS.register_module()
class MultiDomainValLoop(ValLoop):
    """MMEngine's ``ValLoop`` on the config's validation set, then on extra domains.

    The main set is validated exactly as by ``ValLoop`` (hooks, visualisation, and its
    metrics under their own names, so ``save_best='mIoU'`` keeps meaning the target
    domain). Each extra domain is then run through the model and its own evaluator, and
    its metrics are added as ``<domain>/<metric>`` (e.g. ``acdc/mIoU``); ``mean/<key>``
    averages ``mean_keys`` over the main set and the domains. All of it happens inside
    one ``before_val`` / ``after_val`` pair, so hooks that fork the random state around
    validation cover the extra domains too.

    Example::

        val_cfg = dict(type='MultiDomainValLoop', domains=dict(
            acdc=dict(dataset=dict(type='ACDCDataset', data_root='data/acdc', split='val',
                                   pipeline=test_pipeline))))

    Args:
        runner: The runner.
        dataloader (DataLoader | dict): The main validation loader.
        evaluator (Evaluator | dict | list): The main evaluator.
        domains (dict[str, dict], optional): Per domain ``dataset`` (a dataset config),
            optionally ``evaluator`` (defaults to the config's ``val_evaluator``) and
            ``num_workers`` (0). Defaults to None (plain ``ValLoop``).
        mean_keys (Sequence[str]): Metrics averaged over all domains. Defaults to
            ('mIoU', ).
        skip_missing (bool): A domain whose dataset cannot be built (data absent) is
            skipped with a warning naming the error, instead of stopping training.
            Defaults to True.
        fp16 (bool): Validate under autocast. Defaults to False.
    """

    def __init__(self, runner, dataloader, evaluator, domains: Optional[Dict[str, dict]] = None,
                 mean_keys: Sequence[str] = ('mIoU', ), skip_missing: bool = True,
                 fp16: bool = False) -> None:
        super().__init__(runner, dataloader, evaluator, fp16)
        self.mean_keys = tuple(mean_keys)
        self.domains = {}
        default_evaluator = runner.cfg.get('val_evaluator') if hasattr(runner, 'cfg') else None
        for name, spec in (domains or {}).items():
            if 'dataset' not in spec:
                raise ValueError(f'MultiDomainValLoop: domain {name!r} needs a `dataset`')
            loader_cfg = dict(batch_size=1, num_workers=spec.get('num_workers', 0),
                              persistent_workers=False,
                              sampler=dict(type='DefaultSampler', shuffle=False),
                              dataset=copy.deepcopy(spec['dataset']))
            try:
                loader = runner.build_dataloader(loader_cfg)
            except FileNotFoundError as error:
                if not skip_missing:
                    raise
                print_log(f'MultiDomainValLoop: domain {name!r} skipped: {error}',
                          logger='current', level=logging.WARNING)
                continue
            domain_evaluator = runner.build_evaluator(
                copy.deepcopy(spec.get('evaluator', default_evaluator)))
            domain_evaluator.dataset_meta = loader.dataset.metainfo
            self.domains[name] = (loader, domain_evaluator)

    def run(self) -> dict:
        """Validate the main set, then every domain; return all metrics."""
        self.runner.call_hook('before_val')
        self.runner.call_hook('before_val_epoch')
        self.runner.model.eval()
        self.val_loss.clear()
        for idx, data_batch in enumerate(self.dataloader):
            self.run_iter(idx, data_batch)
        metrics = dict(self.evaluator.evaluate(len(self.dataloader.dataset)))
        per_domain = [metrics]
        for name, (loader, evaluator) in self.domains.items():
            domain_metrics = self._evaluate_domain(loader, evaluator)
            per_domain.append(domain_metrics)
            metrics.update({f'{name}/{k}': v for k, v in domain_metrics.items()})
        if self.domains:
            for key in self.mean_keys:
                values = [float(m[key]) for m in per_domain if key in m]
                if values:
                    metrics[f'mean/{key}'] = round(sum(values) / len(values), 2)
        self.runner.call_hook('after_val_epoch', metrics=metrics)
        self.runner.call_hook('after_val')
        return metrics

    @torch.no_grad()
    def _evaluate_domain(self, loader, evaluator) -> dict:
        # No iteration hooks: the visualisation hooks would draw with the main set's meta.
        for data_batch in loader:
            with autocast(enabled=self.fp16):
                outputs = self.runner.model.val_step(data_batch)
            evaluator.process(data_samples=outputs, data_batch=data_batch)
        return dict(evaluator.evaluate(len(loader.dataset)))
