"""``manifest.jsonl``: one JSON line per input per run, appended by the driver alone as each input ends:
input, size, mtime_ns, sha256, status (done / failed / skipped), message, frames, persons, seconds,
worker, attempts, the settings hash and the model hashes, the outputs, the run id and the time.

It is an append-only log (a line is one write): a run killed while writing leaves at most a torn last line,
which reading skips; the next run starts a new line after it. Resuming goes by the latest done or failed
line of each input: an input is skipped when that line is "done" with the same settings and models, the
file is unchanged (size and mtime) and its outputs are there; failed and new inputs are (re)done.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pose_demo.batch.inputs import BatchInput

STATUSES = ("done", "failed", "skipped")


@dataclass(frozen=True)
class ItemResult:
    """What became of one input: one manifest line (``settings``, ``run`` and ``at`` are added by
    ``Manifest.append``). ``outputs`` are relative to the output folder."""

    input: str
    name: str
    kind: str
    status: str
    message: str = ""
    size: int | None = None
    mtime_ns: int | None = None
    sha256: str | None = None
    frames: int = 0
    persons: int = 0
    seconds: float = 0.0
    worker: str = ""
    attempts: int = 1
    models: dict[str, str] = field(default_factory=dict)
    outputs: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}, not {self.status!r}")


class Manifest:
    """The manifest of the output folder ``out``."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.path = out / "manifest.jsonl"

    def records(self) -> list[dict[str, Any]]:
        """Every complete line, oldest first."""
        if not self.path.is_file():
            return []
        records = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # the torn last line of a killed run
        return records

    def latest(self) -> dict[str, dict[str, Any]]:
        """Per input, its latest done or failed line."""
        return {r["input"]: r for r in self.records() if r.get("status") in ("done", "failed")}

    def append(self, result: ItemResult, settings: str, run: str) -> None:
        record = {
            **asdict(result),
            "settings": settings,
            "run": run,
            "at": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
        }
        self.out.mkdir(parents=True, exist_ok=True)
        line = json.dumps(record) + "\n"
        if self._ends_torn():  # a killed run's torn line: this record starts a line of its own
            line = "\n" + line
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)

    def _ends_torn(self) -> bool:
        """Whether the manifest's last line is torn (no newline): a run was killed while writing it."""
        if not self.path.is_file() or self.path.stat().st_size == 0:
            return False
        with self.path.open("rb") as f:
            f.seek(-1, os.SEEK_END)
            return f.read(1) != b"\n"

    def is_done(self, item: BatchInput, record: dict[str, Any] | None, settings: str, models: dict) -> bool:
        """Whether ``record`` (the input's latest) says it is done with these settings and models and its
        file and outputs are as they were."""
        if record is None or record["status"] != "done":
            return False
        if record.get("settings") != settings or record.get("models") != models:
            return False
        stat = item.path.stat()
        if (record.get("size"), record.get("mtime_ns")) != (stat.st_size, stat.st_mtime_ns):
            return False
        return all((self.out / o).is_file() for o in record.get("outputs", []))

    def plan(
        self, items: Iterable[BatchInput], settings: str, models: dict[str, str]
    ) -> tuple[list[BatchInput], list[ItemResult]]:
        """The inputs to process, and the "skipped" results of those already done."""
        latest = self.latest()
        todo: list[BatchInput] = []
        skipped: list[ItemResult] = []
        for item in items:
            record = latest.get(str(item.path))
            if self.is_done(item, record, settings, models):
                assert record is not None
                keep = ("size", "mtime_ns", "sha256", "frames", "persons", "models", "outputs")
                skipped.append(
                    ItemResult(
                        str(item.path),
                        item.name,
                        item.kind,
                        "skipped",
                        f"done at {record['at']}",
                        **{k: record[k] for k in keep},
                    )
                )
            else:
                todo.append(item)
        return todo, skipped
