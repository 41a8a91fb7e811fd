"""Checks for numbers that arrive as JSON: bool is not a number, and huge integers are not finite floats."""

import math


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_finite_number(number: int | float) -> bool:
    """Whether a number is finite as a float; an integer beyond float range is not."""
    try:
        return math.isfinite(number)
    except OverflowError:
        return False
