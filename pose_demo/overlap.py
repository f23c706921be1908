"""Overlapping slow stages with inference in worker threads: reading ahead, writing behind."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from pose_demo.timing import StageTimer

T = TypeVar("T")
_END = object()


def prefetch(items: Iterator[T], ahead: int, pool: ThreadPoolExecutor) -> Iterator[T]:
    """Iterate ``items`` in ``pool``'s single worker, up to ``ahead`` items in advance."""
    pending = deque(pool.submit(next, items, _END) for _ in range(ahead))
    while (item := pending.popleft().result()) is not _END:
        pending.append(pool.submit(next, items, _END))
        yield item


def timed(items: Iterator[T], timer: StageTimer, stage: str) -> Iterator[T]:
    """``items``, adding the time spent producing each to ``timer``'s ``stage``."""
    while True:
        with timer.stage(stage):
            item = next(items, _END)
        if item is _END:
            return
        yield item


class WriteBehind:
    """Jobs run in ``pool``'s single worker, in order, with at most ``limit`` waiting: ``submit`` waits for
    the oldest when more are queued, so memory stays bounded. A job's error is raised by the ``submit`` or
    ``wait`` that collects it."""

    def __init__(self, pool: ThreadPoolExecutor, limit: int) -> None:
        self.pool = pool
        self.limit = limit
        self._jobs: deque[Future[Any]] = deque()

    def submit(self, job: Callable[..., Any], *args: Any) -> None:
        self._jobs.append(self.pool.submit(job, *args))
        if len(self._jobs) > self.limit:
            self._jobs.popleft().result()

    def wait(self) -> None:
        """Wait for every job submitted."""
        while self._jobs:
            self._jobs.popleft().result()
