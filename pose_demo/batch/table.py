"""The keypoint table: one row per person per frame (an image is frame 0), in one Parquet part file per
input (``table/<name>.parquet``), so that workers never write the same file and a retried input replaces
its part instead of adding rows. Read the folder as one table: ``pandas.read_parquet("OUT/table")``.

Columns: path, kind, frame, time (s; null for images), person (its order in the frame), track_id (null for
images), box_x1/y1/x2/y2, score, ``<keypoint>_x/_y/_score`` for the 17 COCO keypoints (pixels; full float
precision), ``rule_<id>`` for every rule of the rule set (the measured value; null when unknown), exercise
and reps (the repetitions counted so far, when an exercise is counted).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from pose_demo.batch.files import atomic_path
from pose_demo.results import Person
from pose_demo.skeleton import COCO17

KEYPOINT_COLUMNS = [f"{name}_{part}" for name in COCO17.keypoints for part in ("x", "y", "score")]
BOX_COLUMNS = ["box_x1", "box_y1", "box_x2", "box_y2"]
# (frame index, time in seconds or None, the persons in that frame)
Frame = tuple[int, float | None, Sequence[Person]]


def table_schema(rule_ids: Sequence[str]) -> pa.Schema:
    """The part files' schema: the same for every input of a run (the rule columns come from the rule set)."""
    return pa.schema(
        [
            ("path", pa.string()),
            ("kind", pa.string()),
            ("frame", pa.int32()),
            ("time", pa.float64()),
            ("person", pa.int16()),
            ("track_id", pa.int32()),
            *((c, pa.float32()) for c in BOX_COLUMNS),
            ("score", pa.float32()),
            *((c, pa.float32()) for c in KEYPOINT_COLUMNS),
            *((f"rule_{r}", pa.float64()) for r in rule_ids),
            ("exercise", pa.string()),
            ("reps", pa.int32()),
        ]
    )


def frames_table(path: str, kind: str, frames: Iterable[Frame], rule_ids: Sequence[str]) -> pa.Table:
    """The rows of one input's persons, frame by frame."""
    rows = [(index, time, k, p) for index, time, persons in frames for k, p in enumerate(persons)]
    persons = [p for *_, p in rows]
    keypoints = np.array([p.keypoints for p in persons], np.float32).reshape(len(rows), len(KEYPOINT_COLUMNS))
    boxes = np.array([[p.box.x1, p.box.y1, p.box.x2, p.box.y2] for p in persons], np.float32).reshape(-1, 4)
    values = [{v.id: v.value for v in p.rules} for p in persons]
    columns = {
        "path": [path] * len(rows),
        "kind": [kind] * len(rows),
        "frame": [index for index, *_ in rows],
        "time": [time for _, time, *_ in rows],
        "person": [k for _, _, k, _ in rows],
        "track_id": [p.track_id for p in persons],
        **{c: boxes[:, i] for i, c in enumerate(BOX_COLUMNS)},
        "score": [p.score for p in persons],
        **{c: keypoints[:, i] for i, c in enumerate(KEYPOINT_COLUMNS)},
        **{f"rule_{r}": [v.get(r) for v in values] for r in rule_ids},
        "exercise": [p.reps.exercise if p.reps else None for p in persons],
        "reps": [p.reps.count if p.reps else None for p in persons],
    }
    return pa.table(columns, schema=table_schema(rule_ids))


def write_part(table: pa.Table, path: Path) -> None:
    """One input's part file, written atomically."""
    with atomic_path(path) as temp:
        pq.write_table(table, temp)


def read_table(folder: Path) -> pa.Table:
    """Every part of a run's table as one (temporary files, hidden, are skipped)."""
    return pq.read_table(folder)
