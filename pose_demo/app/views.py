"""What the tabs show besides the pictures: the verdict table, the angle plot's data, persons numbered."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from pose_demo.results import FrameResult
from pose_demo.video import VideoRun

VERDICT_COLUMNS = ["person", "track", "rule", "value", "level", "triggered"]


def number_persons(result: FrameResult) -> FrameResult:
    """Persons without a track id (photos) numbered as in the verdict table, so that labels show it."""
    numbered = [
        p if p.track_id is not None else replace(p, track_id=k) for k, p in enumerate(result.persons, 1)
    ]
    return FrameResult(numbered, result.image_size)


def verdict_table(result: FrameResult) -> pd.DataFrame:
    """One row per person and rule: person number (1-based), track id, rule title, value, level.

    Values without a unit (how many parts of a combined condition hold) are left out: ``triggered`` says it.
    """
    rows = [
        [
            number,
            "" if person.track_id is None else person.track_id,
            verdict.title["en"],
            "" if verdict.value is None or not verdict.unit else f"{verdict.value:.1f} {verdict.unit}",
            verdict.level,
            "yes" if verdict.triggered else "",
        ]
        for number, person in enumerate(result.persons, start=1)
        for verdict in person.rules
    ]
    return pd.DataFrame(rows, columns=VERDICT_COLUMNS)


def angle_series(run: VideoRun, track_id: int | None, rule_ids: list[str]) -> pd.DataFrame:
    """Long-form data for the angle-over-time plot: time (s), measurement, value (deg), for one track.

    Frames where the track is absent or the measurement is unknown have no row.
    """
    wanted = set(rule_ids)
    rows = [
        [frame.time, v.id, v.value]
        for frame in run.frames
        for person in frame.persons
        if person.track_id == track_id and track_id is not None
        for v in person.rules
        if v.id in wanted and v.unit == "deg" and v.value is not None
    ]
    return pd.DataFrame(rows, columns=["time", "measurement", "value"])
