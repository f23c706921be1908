"""A batch run: expand the inputs, skip those already done (the manifest), process the rest on an engine,
record each in the manifest as it ends, show one progress bar, and write ``summary.json``.

Output folder: ``results/<name>.json`` (+ ``.jpg`` / ``.mp4`` with ``render``), ``table/<name>.parquet``,
``manifest.jsonl``, ``summary.json``. See docs/batch.md.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from pose_demo.batch.files import remove_leftovers, write_text
from pose_demo.batch.inputs import BatchInput
from pose_demo.batch.manifest import ItemResult, Manifest
from pose_demo.batch.worker import BatchSettings, model_hashes

ENGINES = ("local", "ray")
# Test hook: seconds each worker pauses before each input, so that a test can kill a worker or the driver
# mid-run. Not for normal use.
PAUSE_ENV = "POSE_DEMO_BATCH_PAUSE_S"
FRAMES_SHOWN_EVERY = 15  # the local engine updates the bar's frame count every so many frames of a video


@dataclass(frozen=True)
class BatchSummary:
    """What a run did: counts by status (this run's), frames and persons processed, seconds, throughput."""

    engine: str
    workers: int  # at work at once (0 when nothing was left to do)
    inputs: int
    done: int
    failed: int
    skipped: int
    frames: int
    persons: int
    seconds: float  # the whole run, start-up included
    startup_s: float  # until the engine was ready: Ray and its actors started, the models loaded
    work_s: float  # from then to the last input's end (without the engine's shutdown)
    run: str

    @property
    def processed(self) -> int:
        return self.done + self.failed

    def rate(self, count: int) -> float:
        """``count`` per second of this run."""
        return round(count / self.seconds, 2) if self.seconds > 0 else 0.0

    def steady_rate(self, count: int) -> float:
        """``count`` per second once the engine was ready."""
        return round(count / self.work_s, 2) if self.work_s > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.__dict__,
            "processed": self.processed,
            "inputs_per_s": self.rate(self.processed),
            "frames_per_s": self.rate(self.frames),
            "steady_inputs_per_s": self.steady_rate(self.processed),
            "steady_frames_per_s": self.steady_rate(self.frames),
        }

    def line(self) -> str:
        return (
            f"{self.inputs} inputs: {self.done} done, {self.failed} failed, {self.skipped} skipped"
            f" (done before); {self.frames} frames, {self.persons} persons in {self.seconds:.1f} s"
            f" ({self.rate(self.processed)} inputs/s, {self.rate(self.frames)} frames/s; after"
            f" {self.startup_s:.1f} s of start-up: {self.steady_rate(self.processed)} inputs/s,"
            f" {self.steady_rate(self.frames)} frames/s; {self.engine})"
        )


def run_batch(
    items: Sequence[BatchInput],
    settings: BatchSettings,
    out: Path,
    engine: str = "local",
    workers: int | None = None,
    address: str | None = None,
    progress: bool = True,
) -> BatchSummary:
    """Process ``items`` into ``out`` on ``engine``, resuming what an earlier run there left."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    out.mkdir(parents=True, exist_ok=True)
    remove_leftovers(out)
    manifest = Manifest(out)
    digest = settings.digest()
    todo, skipped = manifest.plan(items, digest, model_hashes(settings.models))
    run = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
    for result in skipped:
        manifest.append(result, digest, run)
    counts: Counter[str] = Counter()
    current: dict[str, int] = {}  # frames done of the videos under way (local engine)
    bar = tqdm(total=len(todo), desc=f"batch ({engine})", unit="input", disable=not progress or not todo)

    def on_result(result: ItemResult) -> None:
        manifest.append(result, digest, run)
        marks["last"] = time.perf_counter()
        counts[result.status] += 1
        counts["frames"] += result.frames
        counts["persons"] += result.persons
        current.pop(result.input, None)
        if result.status == "failed":
            tqdm.write(f"failed {Path(result.input).name}: {result.message}")
        bar.update(1)
        show_frames()

    def on_frames(item: BatchInput, done: int) -> None:
        current[str(item.path)] = done
        if done % FRAMES_SHOWN_EVERY == 0:
            show_frames()

    def show_frames() -> None:
        frames = counts["frames"] + sum(list(current.values()))
        frames_per_s = frames / max(bar.format_dict["elapsed"], 1e-9)
        bar.set_postfix_str(f"{frames} frames, {frames_per_s:.1f} frames/s")

    pause_s = float(os.environ.get(PAUSE_ENV, 0))
    start = time.perf_counter()
    marks = {"ready": start, "last": start}  # when the engine was ready, when the last input ended

    def on_ready() -> None:
        marks["ready"] = marks["last"] = time.perf_counter()

    with bar:
        if engine == "ray":
            from pose_demo.batch.engine_ray import run_ray

            used = run_ray(todo, settings, out, on_result, on_ready, workers, address, pause_s)
        else:
            from pose_demo.batch.engine_local import run_local

            used = run_local(todo, settings, out, on_result, on_ready, pause_s, on_frames)
    summary = BatchSummary(
        engine,
        used,
        len(items),
        counts["done"],
        counts["failed"],
        len(skipped),
        counts["frames"],
        counts["persons"],
        round(time.perf_counter() - start, 3),
        round(marks["ready"] - start, 3),
        round(marks["last"] - marks["ready"], 3),
        run,
    )
    write_text(out / "summary.json", json.dumps(summary.to_dict(), indent=1))
    return summary
