"""A hook that stands in for a kill: the run dies in the middle of iteration ``at``."""
from mmengine.hooks import Hook


class Interrupt(Exception):
    """Raised by :class:`KillAfter`."""


class KillAfter(Hook):
    priority = 'HIGHEST'

    def __init__(self, at: int) -> None:
        self.at = at

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if runner.iter + 1 == self.at:
            raise Interrupt
