"""Evaluation: the UDA IoU metric (mIoU16 / mIoU13) and multi-domain validation."""
from .multi_domain_val_loop import MultiDomainValLoop
from .uda_iou_metric import CLASS_SUBSET_PRESETS, UDAIoUMetric, subset_miou

__all__ = ['CLASS_SUBSET_PRESETS', 'MultiDomainValLoop', 'UDAIoUMetric', 'subset_miou']
