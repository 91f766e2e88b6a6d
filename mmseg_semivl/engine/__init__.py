from . import hooks, optim_wrappers, optimizers, runner  # noqa: F401
from . import model_wrappers  # noqa: F401  (AdversarialDistributedDataParallel)
