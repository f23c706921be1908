"""Checks of option values, with messages a user can act on (shared by the library, app and rule files)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
ErrorFactory = Callable[[str], Exception]  # message -> the exception to raise (an exception class will do)


class OptionError(ValueError):
    """An option value a user gave is not allowed; the message says which values are."""


def check_choice(name: str, value: T, allowed: Sequence[T], error: ErrorFactory = OptionError) -> T:
    """``value`` if it is one of ``allowed``; else ``error`` naming the allowed values."""
    if value not in allowed:
        raise error(f"The {name} {value!r} is not available: choose one of {', '.join(map(str, allowed))}.")
    return value


def check_number(
    name: str,
    value: Any,
    low: float = -math.inf,
    high: float = math.inf,
    whole: bool = False,
    error: ErrorFactory = OptionError,
) -> float:
    """``value`` as a float if it is a number from ``low`` to ``high`` (a whole one if ``whole``)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not low <= value <= high
        or (whole and not float(value).is_integer())
    ):
        kind = "a whole number" if whole else "a number"
        span = (
            f" from {low} to {high}"
            if math.isfinite(high)
            else f" of at least {low}"
            if math.isfinite(low)
            else ""
        )
        raise error(f"The {name} must be {kind}{span}, not {value!r}.")
    return float(value)
