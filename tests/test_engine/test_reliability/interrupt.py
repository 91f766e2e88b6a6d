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


def train(cfg, kill_at=None, hooks=()):
    """Build a runner from ``cfg`` and train it; killed in iteration ``kill_at`` if given.

    Returns:
        Runner: the runner, trained to the end or up to the kill.
    """
    from mmengine.runner import Runner
    runner = Runner.from_cfg(cfg)
    for hook in hooks:
        runner.register_hook(hook)
    if kill_at is not None:
        runner.register_hook(KillAfter(kill_at))
    try:
        runner.train()
    except Interrupt:
        pass
    return runner
