"""StageTimer: wall-clock milliseconds per named stage, for the benchmarks (off, and free, otherwise)."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager


class StageTimer:
    """Adds up wall-clock milliseconds per named stage since the last ``reset``.

    Off unless ``enabled``, so serving pays nothing for it. One timer per thread.
    """

    def __init__(self, enabled: bool = False) -> None:
        self.enabled = enabled
        self.totals: dict[str, float] = defaultdict(float)

    def reset(self) -> None:
        self.totals = defaultdict(float)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        if not self.enabled:
            yield
            return
        start = time.perf_counter()
        try:
            yield
        finally:
            self.totals[name] += (time.perf_counter() - start) * 1000
