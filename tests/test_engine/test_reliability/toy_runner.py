"""A two-parameter MMEngine runner (milliseconds per iteration) for checkpoint-hook tests."""
import uuid
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmengine.evaluator import BaseMetric, Evaluator
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import DataLoader, Dataset


class ToyModel(BaseModel):
    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.linear(torch.stack(list(inputs)) if isinstance(inputs, list) else inputs)
        if mode == 'loss':
            return dict(loss=out.pow(2).mean())
        if mode == 'predict':
            return list(out)
        return out


class ToyDataset(Dataset):
    metainfo = dict(classes=('a', 'b'))

    def __len__(self) -> int:
        return 8

    def __getitem__(self, index: int) -> Dict:
        return dict(inputs=torch.full((2,), float(index)), data_samples=None)


class ScriptedMetric(BaseMetric):
    """Reports ``values[k]`` as ``mIoU`` at the k-th evaluation."""

    default_prefix = ''

    def __init__(self, values: Sequence[float]) -> None:
        super().__init__()
        self.values = list(values)
        self.calls = 0

    def process(self, data_batch, data_samples) -> None:
        self.results.append(0)

    def compute_metrics(self, results: List) -> Dict[str, float]:
        value = self.values[min(self.calls, len(self.values) - 1)]
        self.calls += 1
        return dict(mIoU=value)


def _loader() -> DataLoader:
    return DataLoader(ToyDataset(), batch_size=2, collate_fn=lambda batch: dict(
        inputs=torch.stack([b['inputs'] for b in batch]), data_samples=None))


def toy_runner(work_dir, max_iters: int, checkpoint: Dict, resume: bool = False,
               load_from: Optional[str] = None, metric_values: Optional[Sequence[float]] = None,
               val_interval: int = 1,
               custom_hooks: Optional[List[Union[Dict, Hook]]] = None) -> Runner:
    """A Runner in the mmseg scope whose ``default_hooks.checkpoint`` is ``checkpoint``.

    ``custom_hooks`` defaults to ``PlainCheckpointStateHook`` alone, as in our configs:
    without it torch's safe loader refuses the checkpoints' message hub on resume.
    """
    val = metric_values is not None
    if custom_hooks is None:
        custom_hooks = [dict(type='PlainCheckpointStateHook')]
    return Runner(
        model=ToyModel(),
        work_dir=str(work_dir),
        train_dataloader=_loader(),
        val_dataloader=_loader() if val else None,
        val_evaluator=Evaluator(ScriptedMetric(metric_values)) if val else None,
        val_cfg=dict() if val else None,
        train_cfg=dict(by_epoch=False, max_iters=max_iters,
                       val_interval=val_interval if val else max_iters + 1),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        default_hooks=dict(checkpoint=dict(dict(type='AtomicCheckpointHook'), by_epoch=False,
                                           **checkpoint),
                           logger=dict(type='LoggerHook', interval=1)),
        custom_hooks=custom_hooks,
        default_scope='mmseg',
        resume=resume,
        load_from=load_from,
        experiment_name=f'toy_{uuid.uuid4().hex}',
    )
