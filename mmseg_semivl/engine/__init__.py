from . import hooks, optim_wrappers, optimizers, runner  # noqa: F401
