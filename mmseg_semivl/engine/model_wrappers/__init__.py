"""Model wrappers for distributed training."""
from .adversarial_ddp import AdversarialDistributedDataParallel
from .cpu_ddp import CPUDevicesMixin, CPUDistributedDataParallel, setup_cpu_distributed

__all__ = ['AdversarialDistributedDataParallel', 'CPUDevicesMixin', 'CPUDistributedDataParallel',
           'setup_cpu_distributed']
