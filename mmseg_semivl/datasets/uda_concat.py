"""The source + target concatenation of domain adaptation, with a class-list check."""
from __future__ import annotations

from typing import List, Optional, Sequence, Union

from mmengine.dataset import BaseDataset, ConcatDataset
from mmseg.registry import DATASETS


@DATASETS.register_module()
class UDAConcatDataset(ConcatDataset):
    """``ConcatDataset`` of a UDA pair that names differing class lists in one line.

    MMEngine's ``ConcatDataset`` refuses datasets with different meta information with
    "the meta information of the 2-th dataset does not match"; a source and a target with
    different classes (a custom pair, a 16-class SYNTHIA list against 19 Cityscapes
    classes) is the usual cause, so the classes are compared first and the message names
    both datasets, their class counts and the first differing class.

    Args:
        datasets (Sequence[BaseDataset | dict]): Source first, then target(s).
        lazy_init (bool): As ``ConcatDataset``. Default: False.
        ignore_keys (str | list[str], optional): As ``ConcatDataset``. Default: None.
        rare_class_sampling (dict, optional): Wrap the source (dataset 0) in
            :class:`~mmseg_semivl.datasets.RareClassSamplingDataset` with these arguments
            (DAFormer's RCS; draw it with ``RareClassMultiSourceSampler``). Default: None.
    """

    def __init__(self, datasets: Sequence[Union[BaseDataset, dict]], lazy_init: bool = False,
                 ignore_keys: Union[str, List[str], None] = None,
                 rare_class_sampling: Optional[dict] = None) -> None:
        datasets = list(datasets)
        if rare_class_sampling is not None:
            # One switch for every dataset pair, instead of restating the pair's list.
            datasets[0] = dict(type='RareClassSamplingDataset', dataset=datasets[0],
                               **rare_class_sampling)
        built = [DATASETS.build(d) if isinstance(d, dict) else d for d in datasets]
        check_same_classes(built)
        super().__init__(built, lazy_init=lazy_init, ignore_keys=ignore_keys)


def check_same_classes(datasets: Sequence[BaseDataset]) -> None:
    """Raise ValueError naming the first dataset whose classes differ from the first's."""
    first = tuple(datasets[0].metainfo.get('classes', ()))
    for index, dataset in enumerate(datasets[1:], start=1):
        classes = tuple(dataset.metainfo.get('classes', ()))
        if classes == first:
            continue
        diff = next((i for i, (a, b) in enumerate(zip(first, classes)) if a != b),
                    min(len(first), len(classes)))
        a = first[diff] if diff < len(first) else '<none>'
        b = classes[diff] if diff < len(classes) else '<none>'
        raise ValueError(
            f'source and target class lists differ: dataset 0 ({type(datasets[0]).__name__}) '
            f'has {len(first)} classes, dataset {index} ({type(dataset).__name__}) has '
            f'{len(classes)}; first difference at class {diff}: {a!r} vs {b!r}')


__all__ = ['UDAConcatDataset', 'check_same_classes']
