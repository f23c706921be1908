"""StageTimer: wall-clock milliseconds per named stage, for the benchmarks (off, and free, otherwise);
RateMeter: frames per second of a live stream, for its users."""

from __future__ import annotations

import statistics
import time
from collections import defaultdict, deque
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


class RateMeter:
    """Frames per second and median work time over the last ``window_s`` seconds of a live stream."""

    def __init__(self, window_s: float = 3.0) -> None:
        self.window_s = window_s
        self.frames: deque[tuple[float, float]] = deque()  # (arrival time in s, work in ms)

    def add(self, arrival_s: float, work_ms: float) -> None:
        self.frames.append((arrival_s, work_ms))
        while self.frames and self.frames[0][0] < arrival_s - self.window_s:
            self.frames.popleft()

    @property
    def fps(self) -> float:
        """Frames per second over the window (0 until two frames came)."""
        if len(self.frames) < 2:
            return 0.0
        span = self.frames[-1][0] - self.frames[0][0]
        return (len(self.frames) - 1) / span if span > 0 else 0.0

    @property
    def work_ms(self) -> float:
        """Median milliseconds of work per frame over the window (0 before the first frame)."""
        return statistics.median(work for _, work in self.frames) if self.frames else 0.0
