"""Exports of counted repetitions: ``{"video": {...}, "persons": [...]}`` JSON, a CSV row per repetition."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pose_demo.exercises.tracks import PersonReps

CSV_COLUMNS = (
    "track_id",
    "exercise",
    "index",
    "start",
    "turn",
    "end",
    "duration",
    "range_min",
    "range_max",
    "unit",
    "asymmetry",
)


def reps_json(video: dict[str, Any], persons: Sequence[PersonReps]) -> dict[str, Any]:
    """``video``: the run's description (``VideoRun.to_dict()``); persons in the order given."""
    return {"video": video, "persons": [p.to_dict() for p in persons]}


def write_reps_json(
    video: dict[str, Any], persons: Sequence[PersonReps], path: str | os.PathLike[str]
) -> None:
    Path(path).write_text(
        json.dumps(reps_json(video, persons), indent=1, ensure_ascii=False), encoding="utf-8"
    )


def write_reps_csv(persons: Sequence[PersonReps], path: str | os.PathLike[str]) -> None:
    """One row per repetition: times in seconds, the range in the signal's unit, tempo and check levels."""
    rows = []
    for person in persons:
        for rep in person.counted.reps if person.counted is not None else ():
            d = rep.to_dict()
            row = {
                "track_id": person.track_id,
                "exercise": person.exercise,
                **{k: d[k] for k in ("index", "start", "turn", "end", "duration", "asymmetry")},
                "range_min": d["range"][0],
                "range_max": d["range"][1],
                "unit": person.counted.exercise.signal.unit,
                **{f"tempo_{k}": v for k, v in d["tempo"].items()},
                **{f"check_{c['id']}": c["level"] for c in d["checks"]},
            }
            rows.append(row)
    extra = sorted({k for row in rows for k in row} - set(CSV_COLUMNS))
    with Path(path).open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=[*CSV_COLUMNS, *extra])
        writer.writeheader()
        writer.writerows(rows)
