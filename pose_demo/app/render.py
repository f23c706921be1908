"""What the tabs show for a result: the annotated picture and the table of rule verdicts."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from pose_demo.app.settings import Settings
from pose_demo.results import FrameResult
from pose_demo.rules import Verdict
from pose_demo.video import VideoRun
from pose_demo.visualization.draw import draw_result

VERDICT_COLUMNS = ["person", "track", "rule", "value", "level", "triggered"]


def render(image_bgr: np.ndarray, result: FrameResult, settings: Settings) -> np.ndarray:
    """A BGR copy of the image with skeletons and the verdicts that the drawing options show.

    Joint angles are drawn as arcs ("angles"); other verdicts as labels above the head ("rule labels").
    """

    def shown(verdict: Verdict) -> bool:
        return ("angles" if verdict.joint is not None else "rule labels") in settings.show

    persons = [replace(p, rules=[v for v in p.rules if shown(v)]) for p in result.persons]
    return draw_result(image_bgr, FrameResult(persons, result.image_size), settings.draw_options())


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
