from .panel import colorize, generate_palette, make_panel, overlay, stack_rows

__all__ = ['colorize', 'generate_palette', 'make_panel', 'overlay', 'stack_rows']
