"""The local engine: this process, one model, with the project's overlap: the next inputs are read and
decoded in a reading thread and the previous ones written in a writing thread while the models run here
(videos overlap decode / infer / encode inside ``process_video``). Imports no Ray."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from pose_demo.batch.inputs import BatchInput
from pose_demo.batch.manifest import ItemResult
from pose_demo.batch.worker import Analysed, BatchSettings, BatchWorker, read_input
from pose_demo.overlap import prefetch

AHEAD = 2  # inputs read ahead, and inputs waiting to be written


def run_local(
    items: Sequence[BatchInput],
    settings: BatchSettings,
    out: Path,
    on_result: Callable[[ItemResult], None],
    on_ready: Callable[[], None] = lambda: None,
    pause_s: float = 0.0,
    on_frames: Callable[[BatchInput, int], None] = lambda item, done: None,
) -> int:
    """Process ``items`` in order. ``on_result`` is called in the writing thread, in order, as soon as
    each input's files are written; ``on_ready`` once the models are loaded. ``pause_s``: a pause before
    each input (a test hook: see ``run.PAUSE_ENV``); ``on_frames(input, frames done)`` as a video goes.
    Returns the number of workers: 1."""
    if not items:
        return 0
    worker = BatchWorker(settings, out)
    on_ready()

    def finish(analysed: Analysed) -> None:  # in the writing thread, so reported as soon as written
        on_result(worker.finish(analysed))

    with ThreadPoolExecutor(1) as reader, ThreadPoolExecutor(1) as writer:
        writing: deque[Future[None]] = deque()
        for loaded in prefetch((read_input(item, settings) for item in items), AHEAD, reader):
            time.sleep(pause_s)
            analysed = worker.analyse(loaded, lambda done, total, item=loaded.item: on_frames(item, done))
            writing.append(writer.submit(finish, analysed))
            while len(writing) > AHEAD or (writing and writing[0].done()):
                writing.popleft().result()  # raises what the writing raised
        while writing:
            writing.popleft().result()
    return 1
