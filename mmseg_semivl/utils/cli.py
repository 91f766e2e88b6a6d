"""Shared entry-point behaviour of the command-line tools."""
import sys
from typing import Callable, Optional, Sequence


def run_tool(main: Callable[[Optional[Sequence[str]]], int]) -> None:
    """Run a tool's ``main`` and exit with its status.

    Bad input (a missing file, a wrong value, a missing optional dependency) ends the
    tool with one line ``error: <message>`` naming the culprit and exit status 1, not a
    traceback.
    """
    try:
        sys.exit(main(None))
    except (FileNotFoundError, ValueError, ImportError) as error:
        sys.exit(f'error: {error}')
