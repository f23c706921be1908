"""One person's repetitions of one exercise: cycles kept or rejected, per-rep metrics and form checks, and
the set summary. Pure functions of a track's times and keypoints; results are frozen dataclasses."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from pose_demo.exercises.counting import Cycle, auto_thresholds, find_cycles
from pose_demo.exercises.schema import Comparison, Exercise, FormCheck, Thresholds
from pose_demo.exercises.signals import hip_x_per_torso, median_smooth, side_series, signal_series
from pose_demo.geometry import FRONT_MIN_FRONTALITY, SIDE_MAX_FRONTALITY, frontality
from pose_demo.results import CheckResult, Rep, round_or_none

THROUGHOUT_PERCENTILES = (10.0, 90.0)  # "throughout" checks judge the repetition's near-extremes


@dataclass(frozen=True)
class SetSummary:
    """A set of repetitions: count, mean and spread of range and tempo, and their trend per repetition
    (fatigue: a growing duration, a shrinking range); trends need 3 repetitions."""

    count: int
    range_mean: float | None = None
    range_std: float | None = None
    duration_mean: float | None = None
    duration_std: float | None = None
    tempo_mean: dict[str, float] | None = None
    duration_trend: float | None = None  # seconds per repetition
    range_trend: float | None = None  # signal units per repetition

    @classmethod
    def of(cls, reps: tuple[Rep, ...]) -> SetSummary:
        if not reps:
            return cls(0)
        ranges = np.array([r.amplitude for r in reps])
        durations = np.array([r.duration for r in reps])
        trend = len(reps) >= 3
        index = np.arange(len(reps))
        return cls(
            count=len(reps),
            range_mean=float(ranges.mean()),
            range_std=float(ranges.std()),
            duration_mean=float(durations.mean()),
            duration_std=float(durations.std()),
            tempo_mean={k: float(np.mean([r.tempo[k] for r in reps])) for k in reps[0].tempo},
            duration_trend=float(np.polyfit(index, durations, 1)[0]) if trend else None,
            range_trend=float(np.polyfit(index, ranges, 1)[0]) if trend else None,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "range": {"mean": round_or_none(self.range_mean), "std": round_or_none(self.range_std)},
            "duration": {
                "mean": round_or_none(self.duration_mean, 3),
                "std": round_or_none(self.duration_std, 3),
            },
            "tempo": {k: round_or_none(v, 3) for k, v in (self.tempo_mean or {}).items()},
            "trend": {
                "duration_per_rep": round_or_none(self.duration_trend, 3),
                "range_per_rep": round_or_none(self.range_trend),
            },
        }


@dataclass(frozen=True)
class TrackReps:
    """One exercise counted on one track; ``thresholds`` are those used (None: nothing to count)."""

    exercise: Exercise
    thresholds: Thresholds | None
    reps: tuple[Rep, ...]

    @property
    def count(self) -> int:
        return len(self.reps)

    @property
    def summary(self) -> SetSummary:
        return SetSummary.of(self.reps)


def _window_values(values: np.ndarray, frames: slice | list[int], at: str, comparison: Comparison) -> float:
    """The value a check judges: the median of the window, or for ``throughout`` the worse near-extreme."""
    known = values[frames]
    known = known[~np.isnan(known)]
    if known.size == 0:
        return math.nan
    if at != "throughout":
        return float(np.median(known))
    low, high = (float(v) for v in np.percentile(known, THROUGHOUT_PERCENTILES))
    failing = [v for v in (low, high) if not comparison.holds(v)]
    return failing[0] if failing else float(np.median(known))


def _view(keypoints: np.ndarray, frames: slice) -> str | None:
    ratio = frontality(keypoints[frames])
    if np.all(np.isnan(ratio)):
        return None
    median = float(np.nanmedian(ratio))
    return "front" if median >= FRONT_MIN_FRONTALITY else "side" if median <= SIDE_MAX_FRONTALITY else None


def _check(
    check: FormCheck,
    values: np.ndarray,
    untrusted: Callable[[], np.ndarray],
    cycle: Cycle,
    view: str | None,
) -> CheckResult:
    """One check in one repetition; ``values`` are trusted (``reliability``); ``untrusted()`` gives the same
    measure from every seen joint, which tells "unseen" from "implausible" when ``values`` are unknown."""
    windows: dict[str, slice | list[int]] = {
        "turn": slice(cycle.turn_first, cycle.turn_last + 1),
        "start_end": [cycle.start, cycle.end],
        "throughout": slice(cycle.start, cycle.end + 1),
    }
    frames = windows[check.at]
    value = _window_values(values, frames, check.at, check.comparison)
    reason = None
    if check.view != "any" and view != check.view:
        reason = "view"
    elif math.isnan(value):
        reason = "unseen" if np.all(np.isnan(untrusted()[frames])) else "implausible"
    level = "unknown" if reason else "ok" if check.comparison.holds(value) else "fail"
    unit = check.comparison.signal.unit
    known = None if math.isnan(value) else value
    return CheckResult(check.id, check.title, check.at, known, unit, level, reason)


def _keeps(
    exercise: Exercise, times: np.ndarray, values: np.ndarray, keypoints: np.ndarray, c: Cycle
) -> bool:
    """Whether a cycle is a repetition: long enough, short enough, wide enough, in place, in posture, and
    still where the exercise keeps still."""
    duration = times[c.end] - times[c.start]
    if not exercise.min_duration <= duration <= exercise.max_duration:
        return False
    if (
        np.nanmax(values[c.start : c.end + 1]) - np.nanmin(values[c.start : c.end + 1])
        < exercise.min_amplitude
    ):
        return False
    hip_x, torso = hip_x_per_torso(keypoints[c.start : c.end + 1], exercise.min_score)
    if abs(hip_x[-1] - hip_x[0]) > exercise.max_travel * torso:  # unknown (NaN) does not reject
        return False
    span = keypoints[c.start : c.end + 1]
    turn = slice(c.turn_first - c.start, c.turn_last - c.start + 1)
    for posture in exercise.posture:
        posture_values = signal_series(posture.comparison.signal, span, exercise.min_score)
        window = turn if posture.at == "turn" else slice(None)
        value = _window_values(posture_values, window, "turn", posture.comparison)
        if not math.isnan(value) and not posture.comparison.holds(value):
            return False
    for still in exercise.still:
        moved = signal_series(still.signal, span, exercise.min_score)
        known = moved[~np.isnan(moved)]
        if known.size and np.subtract(*np.percentile(known, THROUGHOUT_PERCENTILES[::-1])) > still.max_range:
            return False
    return True


def _asymmetry(exercise: Exercise, keypoints: np.ndarray, times: np.ndarray, cycle: Cycle) -> float | None:
    frames = slice(cycle.turn_first, cycle.turn_last + 1)
    sides = side_series(exercise.signal, keypoints[frames], exercise.min_score)
    if sides is None or any(np.all(np.isnan(s)) for s in sides):
        return None
    first, other = (float(np.nanmedian(s)) for s in sides)
    written_right = any(p.startswith("right_") for p in exercise.signal.measure.points)
    return other - first if written_right else first - other


def count_track(
    exercise: Exercise, times: np.ndarray, keypoints: np.ndarray, thresholds: Thresholds | None = None
) -> TrackReps:
    """The repetitions of ``exercise`` by one person: ``times`` (N,) in seconds, ``keypoints`` (N, 17, 3)
    with score 0 where the person was not seen. ``thresholds`` override the exercise's (or auto) ones."""
    times = np.asarray(times, dtype=np.float64)
    keypoints = np.asarray(keypoints, dtype=np.float64)
    values = median_smooth(signal_series(exercise.signal, keypoints, exercise.min_score), times)
    thresholds = (
        thresholds or exercise.thresholds or auto_thresholds(values, exercise.work, exercise.min_amplitude)
    )
    if thresholds is None:
        return TrackReps(exercise, None, ())
    cycles = [
        c
        for c in find_cycles(times, values, exercise.work, thresholds)
        if _keeps(exercise, times, values, keypoints, c)
    ]
    if not cycles:  # auto counts every exercise of the catalog: no checks for those not done
        return TrackReps(exercise, thresholds, ())

    def check_values(check: FormCheck, trusted: bool = True) -> np.ndarray:
        signal = signal_series(check.comparison.signal, keypoints, exercise.min_score, trusted)
        return median_smooth(signal, times)

    trusted = {check.id: check_values(check) for check in exercise.checks}
    seen: dict[str, np.ndarray] = {}  # every seen joint's values, only for a check that needs them

    def untrusted(check: FormCheck) -> np.ndarray:
        if check.id not in seen:
            seen[check.id] = check_values(check, trusted=False)
        return seen[check.id]

    reps = []
    for index, c in enumerate(cycles, start=1):
        span = values[c.start : c.end + 1]
        turn = (times[c.turn_first] + times[c.turn_last]) / 2
        view = _view(keypoints, slice(c.start, c.end + 1))
        reps.append(
            Rep(
                index=index,
                start=float(times[c.start]),
                turn=float(turn),
                end=float(times[c.end]),
                range=(float(np.nanmin(span)), float(np.nanmax(span))),
                tempo={
                    exercise.phases[0]: float(turn - times[c.start]),
                    exercise.phases[1]: float(times[c.end] - turn),
                },
                asymmetry=_asymmetry(exercise, keypoints, times, c),
                checks=tuple(
                    _check(check, trusted[check.id], partial(untrusted, check), c, view)
                    for check in exercise.checks
                ),
            )
        )
    return TrackReps(exercise, thresholds, tuple(reps))
