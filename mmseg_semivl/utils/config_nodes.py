"""Visiting the nested dicts of a config (every transform, dataset or module config)."""
from typing import Any, Callable


def visit_dicts(node: Any, visit: Callable[[dict], None]) -> None:
    """Call ``visit`` on every dict inside ``node`` (itself included), parents first.

    ``node`` may be a config, a dict or a list / tuple of them (a pipeline, the datasets of
    a ``ConcatDataset``); anything else is passed over. ``visit`` may change a dict in
    place (the walk then descends into the changed values).

    Args:
        node: The config or part of it.
        visit: Called once per dict.
    """
    if isinstance(node, dict):
        visit(node)
        for value in node.values():
            visit_dicts(value, visit)
    elif isinstance(node, (list, tuple)):
        for value in node:
            visit_dicts(value, visit)
