from .panel import colorize, make_panel, stack_rows

__all__ = ['colorize', 'make_panel', 'stack_rows']
