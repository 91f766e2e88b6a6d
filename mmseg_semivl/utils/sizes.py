"""Sizes given as one int or as (height, width)."""
from typing import Sequence, Tuple, Union

Size = Union[int, Sequence[int]]


def size_pair(value: Size, name: str = 'size') -> Tuple[int, int]:
    """``value`` as an (h, w) pair of positive ints: an int (square), a 1-sequence or a pair.

    Args:
        value: The size.
        name: The argument's name, for the error.

    Raises:
        ValueError: Anything else (a wrong length, a non-integer or a value <= 0); the
            message names ``name`` and the value.
    """
    values = [value] if isinstance(value, int) else list(value)
    if len(values) == 1:
        values = values * 2
    if (len(values) != 2 or not all(isinstance(v, int) or float(v).is_integer() for v in values)
            or min(values) <= 0):
        raise ValueError(f'{name} must be a positive int or (height, width), got {value!r}')
    return int(values[0]), int(values[1])
