"""Checks of option values, with messages a user can act on (shared by the library, app and rule files)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from pose_demo.i18n import Message, UserError

T = TypeVar("T")
# (catalog key, parameters) -> the exception to raise (a UserError class will do)
ErrorFactory = Callable[..., Exception]

# (whole number?, bounds) -> the message of a number out of range
_NUMBER_KEYS = {
    (False, "range"): "error.option.number_range",
    (False, "at_least"): "error.option.number_at_least",
    (False, "any"): "error.option.number",
    (True, "range"): "error.option.whole_range",
    (True, "at_least"): "error.option.whole_at_least",
    (True, "any"): "error.option.whole",
}


class OptionError(UserError, ValueError):
    """An option value a user gave is not allowed; the message says which values are."""


def check_choice(name: str | Message, value: T, allowed: Sequence[T], error: ErrorFactory = OptionError) -> T:
    """``value`` if it is one of ``allowed``; else ``error`` naming the allowed values. ``name``: the
    option's name (a ``Message`` when it is to be translated)."""
    if value not in allowed:
        raise error("error.option.choice", name=name, value=value, allowed=", ".join(map(str, allowed)))
    return value


def check_number(
    name: str | Message,
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
        bounds = "range" if math.isfinite(high) else "at_least" if math.isfinite(low) else "any"
        raise error(_NUMBER_KEYS[whole, bounds], name=name, value=value, low=low, high=high)
    return float(value)
