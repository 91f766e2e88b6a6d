"""IoU metric with the class-subset means that the UDA literature reports (mIoU16, mIoU13)."""
from __future__ import annotations

from typing import Dict, Mapping, Sequence, Union

import numpy as np
import torch
from mmseg.evaluation import IoUMetric
from mmseg.registry import METRICS

from ..datasets.synthia import SYNTHIA_13_TRAIN_IDS, SYNTHIA_16_TRAIN_IDS

#: Named subsets. 'synthia': SYNTHIA -> X is reported over the 16 classes SYNTHIA
#: annotates and over 13 (without wall, fence, pole), each IoU taken from the full
#: 19-class evaluation (the model keeps 19 outputs).
CLASS_SUBSET_PRESETS: Dict[str, Dict[str, Sequence[int]]] = {
    'synthia': {'mIoU16': SYNTHIA_16_TRAIN_IDS, 'mIoU13': SYNTHIA_13_TRAIN_IDS},
}

ClassSubsets = Union[None, str, Mapping[str, Sequence[Union[int, str]]]]


def subset_miou(iou: np.ndarray, class_ids: Sequence[int]) -> float:
    """Mean IoU (in %) over ``class_ids``, MMSeg's way: NaN classes skipped, 2 decimals.

    Args:
        iou (np.ndarray): (num_classes,) per-class IoU in [0, 1]; NaN where a class is
            neither in the ground truth nor predicted.
        class_ids (Sequence[int]): The subset.

    Returns:
        float: ``round(nanmean(iou[class_ids]) * 100, 2)``.
    """
    return float(np.round(np.nanmean(iou[list(class_ids)]) * 100, 2))


@METRICS.register_module()
class UDAIoUMetric(IoUMetric):
    """MMSeg's ``IoUMetric`` plus means over class subsets and optional per-class IoU.

    The subset means are computed from the same accumulated intersections and unions as
    the 19-class mIoU, so ``mIoU16`` equals the mean of the 16 per-class IoUs that the
    19-class table prints (DAFormer's README obtains it as mIoU19 x 19 / 16, which is
    the same number when the 3 missing classes score 0, as they do for a model trained on
    SYNTHIA).

    Args:
        class_subsets (str | Mapping[str, Sequence[int | str]], optional): A preset of
            :data:`CLASS_SUBSET_PRESETS` (``'synthia'``) or ``{metric name: class ids or
            names}``. Defaults to None (plain IoUMetric).
        per_class (bool): Also return ``IoU.<class name>`` (in %). Defaults to False.
        **kwargs: Arguments of :class:`mmseg.evaluation.IoUMetric`.
    """

    def __init__(self, class_subsets: ClassSubsets = None, per_class: bool = False,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if isinstance(class_subsets, str):
            if class_subsets not in CLASS_SUBSET_PRESETS:
                raise ValueError(f'UDAIoUMetric: unknown class_subsets preset {class_subsets!r}'
                                 f'; presets: {sorted(CLASS_SUBSET_PRESETS)}')
            class_subsets = CLASS_SUBSET_PRESETS[class_subsets]
        self.class_subsets = {k: list(v) for k, v in (class_subsets or {}).items()}
        self.per_class = per_class

    def _subset_ids(self, name: str, classes: Sequence[str]) -> list:
        ids = []
        for c in self.class_subsets[name]:
            if isinstance(c, str):
                if c not in classes:
                    raise ValueError(f'UDAIoUMetric: class {c!r} of subset {name!r} is not a '
                                     f'class of the dataset ({list(classes)})')
                ids.append(list(classes).index(c))
            elif not 0 <= int(c) < len(classes):
                raise ValueError(f'UDAIoUMetric: class id {c} of subset {name!r} is outside '
                                 f'0..{len(classes) - 1}')
            else:
                ids.append(int(c))
        return ids

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """MMSeg's metrics plus the subset means (and per-class IoU).

        Args:
            results (list): ``(intersect, union, pred area, label area)`` per image,
                each a (num_classes,) tensor.

        Returns:
            dict[str, float]: ``aAcc``, ``mIoU``, ``mAcc``, ..., one key per subset, and
            ``IoU.<class>`` with ``per_class``.
        """
        metrics = super().compute_metrics(results)
        if self.format_only or not (self.class_subsets or self.per_class):
            return metrics
        intersect = torch.stack([r[0] for r in results]).sum(0).double()
        union = torch.stack([r[1] for r in results]).sum(0).double()
        iou = (intersect / union).numpy()  # 0 / 0 = NaN: class absent, skipped as MMSeg
        classes = list(self.dataset_meta['classes'])
        for name in self.class_subsets:
            metrics[name] = subset_miou(iou, self._subset_ids(name, classes))
        if self.per_class:
            for c, name in enumerate(classes):
                metrics[f'IoU.{name}'] = float(np.round(iou[c] * 100, 2))
        return metrics
