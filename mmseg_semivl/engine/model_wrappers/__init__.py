"""Model wrappers for distributed training."""
from .adversarial_ddp import AdversarialDistributedDataParallel

__all__ = ['AdversarialDistributedDataParallel']
