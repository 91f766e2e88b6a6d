"""Data samplers for semi-supervised training."""
from .multi_source_sampler import MultiSourceSampler

# Rare-class sampling lives with its dataset wrapper (datasets/rare_class_sampling.py);
# it is re-exported here beside the sampler it extends.
from ..rare_class_sampling import RareClassMultiSourceSampler  # noqa: E402

__all__ = ['MultiSourceSampler', 'RareClassMultiSourceSampler']
