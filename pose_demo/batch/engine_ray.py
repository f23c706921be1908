"""The Ray engine: a pool of actors, each loading the models once (``BatchWorker``), fed from the driver's
queue (``IN_FLIGHT`` inputs queued per actor). Ray is imported here only.

A worker that dies (killed, out of memory, a lost node) is replaced by a new actor and the inputs it held
go back to the queue, up to ``max_attempts`` times each; outputs are only ever renamed into place whole,
under the input's own names, so a retried input replaces rather than duplicates.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from pose_demo.batch.inputs import BatchInput
from pose_demo.batch.manifest import ItemResult
from pose_demo.batch.worker import BatchSettings, BatchWorker
from pose_demo.checks import OptionError

MAX_ATTEMPTS = 3
IN_FLIGHT = 2  # tasks queued per actor, so that it starts the next input as soon as one ends


class RayWorker:
    """The actor: a ``BatchWorker`` and an optional pause before each input (a test hook)."""

    def __init__(self, settings: BatchSettings, out: str, pause_s: float) -> None:
        self.worker = BatchWorker(settings, Path(out))
        self.pause_s = pause_s

    def ready(self) -> str:
        return self.worker.name

    def process(self, item: BatchInput, attempts: int) -> ItemResult:
        time.sleep(self.pause_s)
        return self.worker.process(item, attempts)


def run_ray(
    items: Sequence[BatchInput],
    settings: BatchSettings,
    out: Path,
    on_result: Callable[[ItemResult], None],
    on_ready: Callable[[], None] = lambda: None,
    workers: int | None = None,
    address: str | None = None,
    pause_s: float = 0.0,
    max_attempts: int = MAX_ATTEMPTS,
) -> int:
    """Process ``items`` on ``workers`` actors (default: one per CPU of the cluster) of the Ray cluster at
    ``address`` (default: the running one, else a local one started here and stopped at the end).
    ``on_result`` is called in the driver as each input ends, in the order they end; ``on_ready`` once the
    first actors have loaded their models. Returns the number of actors working at once."""
    import ray
    from ray.exceptions import RayActorError

    if not items:
        return 0
    threads = settings.models.threads or 1  # one inference thread per actor unless told otherwise
    started = not ray.is_initialized()
    if started:  # a local Ray gets this machine's CPUs, or as many as the actors asked for reserve
        cpus = None if address else max(os.cpu_count() or 1, (workers or 1) * threads)
        try:
            ray.init(address=address, num_cpus=cpus, include_dashboard=False, logging_level="warning")
        except ConnectionError as e:
            raise OptionError(
                "error.option.ray_connect", address=address, reason=str(e).splitlines()[0]
            ) from e
    settings = replace(settings, models=replace(settings.models, threads=threads))
    actor_class = ray.remote(num_cpus=threads, max_restarts=0, max_task_retries=0)(RayWorker)
    count = workers or max(1, int(ray.cluster_resources().get("CPU", 1)) // threads)
    settings_ref = ray.put(settings)

    def new_actor() -> Any:
        return actor_class.remote(settings_ref, str(out.absolute()), pause_s)

    queue = deque(items)
    attempts: dict[Path, int] = {}
    running: dict[Any, tuple[Any, BatchInput]] = {}  # task -> (actor, input)
    actors = [new_actor() for _ in range(min(count, len(items)))]
    free = deque(actors * IN_FLIGHT)  # an actor once per task it may take now
    try:
        ray.get([actor.ready.remote() for actor in actors])
        on_ready()
        while queue or running:
            while free and queue:
                actor, item = free.popleft(), queue.popleft()
                attempts[item.path] = attempts.get(item.path, 0) + 1
                running[actor.process.remote(item, attempts[item.path])] = (actor, item)
            done, _ = ray.wait(list(running), num_returns=1)
            actor, item = running.pop(done[0])
            try:
                result = ray.get(done[0])
            except RayActorError:
                if actor in actors:  # the first of its lost tasks: replace it
                    ray.kill(actor, no_restart=True)
                    replacement = new_actor()
                    actors[actors.index(actor)] = replacement
                    free = deque(a for a in free if a != actor)
                    free.extend([replacement] * IN_FLIGHT)
                if attempts[item.path] < max_attempts:
                    queue.appendleft(item)
                    continue
                result = ItemResult(
                    str(item.path),
                    item.name,
                    item.kind,
                    "failed",
                    f"The worker processing it died {attempts[item.path]} times (out of memory?): "
                    "check the file, or give the workers more memory.",
                    attempts=attempts[item.path],
                )
            else:
                free.append(actor)
            on_result(result)
    finally:
        for actor in actors:
            ray.kill(actor, no_restart=True)
        if started:
            ray.shutdown()
    return min(count, len(items))
