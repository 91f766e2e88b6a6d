"""Data transforms of the unlabeled (weak / strong / CutMix) and labeled semi-supervised pipelines."""
from .cutmix_box import GenerateCutMixBox
from .formatting import PackSemiInputs
from .padding import PadToSize
from .strong_augment import StrongAugment
from .valid_mask import AddValidMask

__all__ = ['AddValidMask', 'GenerateCutMixBox', 'PackSemiInputs', 'PadToSize', 'StrongAugment']
