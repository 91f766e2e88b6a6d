"""Transforms of the labeled and unlabeled (weak, strong, CutMix) semi-supervised pipelines."""
from .checks import CheckLabelValues, SafeLoadImageFromFile
from .cutmix_box import GenerateCutMixBox
from .formatting import PackSemiInputs
from .loading import LoadOptionalAnnotations
from .padding import PadToSize
from .strong_augment import StrongAugment
from .valid_mask import AddValidMask

__all__ = [
    'AddValidMask', 'CheckLabelValues', 'GenerateCutMixBox', 'LoadOptionalAnnotations',
    'PackSemiInputs', 'PadToSize', 'SafeLoadImageFromFile', 'StrongAugment'
]
