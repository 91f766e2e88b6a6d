"""Data pre-processor for batches that mix labeled and unlabeled (multi-view) samples."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Dict, List, Optional

import torch
import torch.nn.functional as F
from mmseg.models.data_preprocessor import SegDataPreProcessor
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import stack_batch

# Pixel fields that ``stack_batch`` pads itself (with ``seg_pad_val``).
STACK_BATCH_FIELDS = ('gt_sem_seg', 'gt_edge_map', 'gt_depth_map')


@MODELS.register_module()
class SemiSegDataPreProcessor(SegDataPreProcessor):
    """``SegDataPreProcessor`` that also accepts two-stream semi-supervised batches.

    A semi-supervised batch (``pseudo_collate`` of ``PackSemiInputs`` outputs) is
    ``{'inputs': {branch: [uint8 (3, H, W) or None] * B},
    'data_samples': {group: [SegDataSample or None] * B}}``; each sample has exactly one
    non-``None`` group and the input branches of that group (labeled: ``labeled``;
    unlabeled: ``weak``, ``strong1``, ``strong2``). It becomes
    ``{'inputs': {branch: float (B_branch, 3, H, W)}, 'data_samples': {group: [...]}}``
    on the model's device, with every branch converted, normalised, padded and stacked
    exactly like ``SegDataPreProcessor`` does in training, and the samples of a branch
    in the same order as the samples of its group. The group's ``gt_sem_seg`` is padded
    with ``seg_pad_val``; its other pixel fields (``valid_mask``, ``cutmix_box*``) with
    ``mask_pad_val``, so padding stays invalid and outside every CutMix box.

    Plain batches (``inputs`` is a list, e.g. validation and test) are handled by
    ``SegDataPreProcessor`` unchanged.

    Args:
        mask_pad_val (int): Pad value of pixel fields other than the ground truth.
            Defaults to 0.
        **kwargs: Arguments of ``SegDataPreProcessor`` (``mean``, ``std``, ``size``,
            ``size_divisor``, ``pad_val``, ``seg_pad_val``, ``bgr_to_rgb``,
            ``rgb_to_bgr``, ``batch_augments``, ``test_cfg``).
    """

    def __init__(self, mask_pad_val: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.mask_pad_val = mask_pad_val

    def forward(self, data: dict, training: bool = False) -> Dict[str, Any]:
        """Pre-process a plain or a semi-supervised batch.

        Args:
            data (dict): Batch from the dataloader.
            training (bool): Whether the model is training (plain batches only; a
                semi-supervised batch is always a training batch).

        Returns:
            dict: ``inputs`` and ``data_samples`` as described in the class docstring.
        """
        if not isinstance(data.get('inputs'), Mapping):
            return super().forward(data, training)
        if self.batch_augments is not None:
            raise NotImplementedError('SemiSegDataPreProcessor: batch_augments are not '
                                      'supported for semi-supervised (dict) batches.')
        data = self.cast_data(data)
        inputs: Dict[str, List[Optional[torch.Tensor]]] = data['inputs']
        samples: Dict[str, List[Optional[SegDataSample]]] = data.get('data_samples') or {}
        sample_groups = self._sample_groups(inputs, samples)

        out_inputs: Dict[str, torch.Tensor] = {}
        padded_groups = set()
        for branch, tensors in inputs.items():
            indices = [i for i, tensor in enumerate(tensors) if tensor is not None]
            if not indices:
                continue
            groups = {sample_groups[i] for i in indices}
            if len(groups) != 1:
                raise ValueError(f'SemiSegDataPreProcessor: input branch "{branch}" mixes '
                                 f'samples of the groups {sorted(groups)}.')
            group = groups.pop()
            group_samples = [s for s in samples[group] if s is not None]
            if [i for i, g in enumerate(sample_groups) if g == group] != indices:
                raise ValueError(f'SemiSegDataPreProcessor: input branch "{branch}" is '
                                 f'missing for some samples of group "{group}".')
            # Pad each group's samples once, with its first branch: the views of a
            # sample share one size, so the other branches get the same padding.
            pad_samples = group not in padded_groups
            out_inputs[branch] = self._stack(
                [tensors[i] for i in indices], group_samples if pad_samples else None, branch)
            padded_groups.add(group)

        out_samples = {
            group: [s for s in group_list if s is not None]
            for group, group_list in samples.items() if any(s is not None for s in group_list)
        }
        return {'inputs': out_inputs, 'data_samples': out_samples}

    @staticmethod
    def _sample_groups(inputs: Dict[str, list], samples: Dict[str, list]) -> List[str]:
        """Group name of every sample of the batch (its only non-None data sample)."""
        sizes = {len(v) for v in (*inputs.values(), *samples.values())}
        if len(sizes) != 1:
            raise ValueError('SemiSegDataPreProcessor: inputs and data_samples branches have '
                             f'different batch sizes {sorted(sizes)}.')
        batch_size = sizes.pop()
        groups = []
        for i in range(batch_size):
            present = [group for group, group_list in samples.items()
                       if group_list[i] is not None]
            if len(present) != 1:
                raise ValueError(f'SemiSegDataPreProcessor: sample {i} of the batch must have '
                                 f'exactly one data sample group, got {present}.')
            groups.append(present[0])
        return groups

    def _normalize(self, tensor: torch.Tensor) -> torch.Tensor:
        """Channel conversion and normalisation, as in ``SegDataPreProcessor.forward``."""
        if self.channel_conversion and tensor.size(0) == 3:
            tensor = tensor[[2, 1, 0], ...]
        tensor = tensor.float()
        if self._enable_normalize:
            tensor = (tensor - self.mean) / self.std
        return tensor

    def _stack(self, tensors: List[torch.Tensor], data_samples: Optional[List[SegDataSample]],
               branch: str) -> torch.Tensor:
        """Normalise, pad and stack one branch; pad ``data_samples`` along if given.

        Args:
            tensors (list[Tensor]): B tensors (3, H_i, W_i) of one branch.
            data_samples (list[SegDataSample], optional): The B samples of the branch's
                group, padded in place when given.
            branch (str): Branch name, for error messages.

        Returns:
            Tensor: (B, 3, H, W) float.
        """
        tensors = [self._normalize(t) for t in tensors]
        if self.size is None and self.size_divisor is None:
            # stack_batch insists on one of them; without either, no padding is wanted.
            shapes = {tuple(t.shape) for t in tensors}
            if len(shapes) != 1:
                raise ValueError(f'SemiSegDataPreProcessor: branch "{branch}" has images of '
                                 f'shapes {sorted(shapes)}; pad them in the pipeline '
                                 '(PadToSize) or set size / size_divisor.')
            return torch.stack(tensors)
        batch, padded_samples = stack_batch(
            inputs=tensors,
            data_samples=data_samples,
            size=self.size,
            size_divisor=self.size_divisor,
            pad_val=self.pad_val,
            seg_pad_val=self.seg_pad_val)
        if data_samples is not None:
            for sample in padded_samples:
                self._pad_mask_fields(sample)
        return batch

    def _pad_mask_fields(self, sample: SegDataSample) -> None:
        """Pad the pixel fields that ``stack_batch`` leaves alone with ``mask_pad_val``."""
        padding = sample.padding_size  # (left, right, top, bottom), set by stack_batch
        if not any(padding):
            return
        for key in sample.keys():
            field = getattr(sample, key)
            if key in STACK_BATCH_FIELDS or not hasattr(field, 'data'):
                continue
            data = field.data
            del field.data  # PixelData refuses a new shape while the old data is set
            field.data = F.pad(data, padding, value=self.mask_pad_val)
