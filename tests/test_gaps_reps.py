"""Repetition counting (issue 30, gap 5): each filter on a candidate repetition and the auto thresholds
decide a count, and each is tested where only it decides.

- the per-repetition minimum amplitude (``exercise.min_amplitude`` in ``reps._keeps``);
- the minimum and maximum duration (the squat's ``duration: {min: 0.8, max: 8}``);
- the phase reset after a gap longer than ``MAX_GAP_S`` (``counting.find_cycles``);
- the auto thresholds at 0.35 / 0.65 of the person's 5-95 percentile range (``counting.auto_thresholds``).

Synthetic squats from ``tests.test_reps`` (a side view bending both knees to given angles, 30 frames/s);
the pure functions take plain arrays of times and values.
"""

from __future__ import annotations

import numpy as np
import pytest

from pose_demo.exercises import ExerciseCatalog, count_track
from pose_demo.exercises.counting import MAX_GAP_S, auto_thresholds, find_cycles
from pose_demo.exercises.reps import TrackReps
from pose_demo.exercises.schema import Exercise, Thresholds
from tests.test_reps import FPS, squat_keypoints

STANDING = 175.0  # knee angle at rest, degrees


@pytest.fixture(scope="module")
def squat() -> Exercise:
    exercise = ExerciseCatalog.load("default").get("squat")
    assert (exercise.min_amplitude, exercise.min_duration, exercise.max_duration) == (40, 0.8, 8)
    return exercise


def rest(seconds: float = 1.0, angle: float = STANDING) -> np.ndarray:
    return np.full(round(seconds * FPS), angle)


def dip(seconds: float, bottom: float = 70.0, top: float = STANDING) -> np.ndarray:
    """One smooth squat from ``top`` down to ``bottom`` and back, lasting ``seconds``."""
    return top - (top - bottom) * np.sin(np.linspace(0, np.pi, round(seconds * FPS))) ** 2


def counted(exercise: Exercise, angles: np.ndarray, thresholds: Thresholds | None = None) -> TrackReps:
    times = np.arange(len(angles)) / FPS
    return count_track(exercise, times, squat_keypoints(angles), thresholds)


# ---------------------------------------------------------------- minimum amplitude


def test_a_repetition_narrower_than_the_minimum_amplitude_is_not_counted(squat: Exercise) -> None:
    """With thresholds 10 degrees apart, a cycle can cross both and still move less than the squat's 40
    degrees: 160 -> 125 (35 degrees) is not a squat, 160 -> 118 (42 degrees) is."""
    close = Thresholds(150, 140)
    shallow = np.concatenate([rest(1, 160), dip(2, 125, 160), rest(1, 160), dip(2, 125, 160), rest(1, 160)])
    deeper = np.concatenate([rest(1, 160), dip(2, 118, 160), rest(1, 160), dip(2, 118, 160), rest(1, 160)])
    assert counted(squat, shallow, close).count == 0
    reps = counted(squat, deeper, close).reps
    assert len(reps) == 2
    for rep in reps:
        assert rep.range[1] - rep.range[0] == pytest.approx(42, abs=1.5)
        assert rep.turn == pytest.approx(2.0 if rep.index == 1 else 5.0, abs=0.1)


# ---------------------------------------------------------------- duration


@pytest.mark.parametrize(
    ("seconds", "kept"),
    [
        (0.6, False),  # measured from rest to rest: about 0.53 s, under the squat's 0.8 s
        (1.2, True),  # about 1.1 s
        (8.0, True),  # about 7.0 s
        (10.0, False),  # about 8.9 s, over the squat's 8 s
    ],
)
def test_repetitions_outside_the_duration_range_are_not_counted(
    squat: Exercise, seconds: float, kept: bool
) -> None:
    """A full-depth squat of ``seconds`` between two 2 s squats: counted only within 0.8-8 s."""
    angles = np.concatenate([rest(), dip(2), rest(), dip(seconds), rest(), dip(2), rest()])
    reps = counted(squat, angles).reps
    assert len(reps) == (3 if kept else 2)
    middle = 1 + 2 + 1 + seconds / 2
    assert any(abs(r.turn - middle) < 0.2 for r in reps) == kept
    for rep in reps:
        assert squat.min_duration <= rep.end - rep.start <= squat.max_duration


# ---------------------------------------------------------------- phase reset after a gap


def _out_gap_turned(gap_s: float) -> tuple[np.ndarray, np.ndarray]:
    """An increasing signal (thresholds 0.3 / 0.7): at rest, out of rest (0.5), unseen for ``gap_s``,
    then past the turn (1.0) and back at rest. Times at 30 frames/s with the unseen frames left out."""
    seen = [0.0] * 30 + [0.5] * 5 + [1.0] * 5 + [0.0] * 30
    times = np.arange(len(seen)) / FPS
    times[35:] += gap_s  # the gap between the last "out" frame and the first "turned" one
    return times, np.array(seen)


@pytest.mark.parametrize(
    ("gap_s", "cycles"), [(0.5, 1), (MAX_GAP_S - 0.1, 1), (MAX_GAP_S + 0.5, 0), (3.0, 0)]
)
def test_a_long_gap_forgets_the_phase(gap_s: float, cycles: int) -> None:
    """A repetition is counted only from a seen start: after a gap longer than ``MAX_GAP_S`` the person
    seen past the turn has not been seen leaving rest."""
    times, values = _out_gap_turned(gap_s)
    found = find_cycles(times, values, "increasing", Thresholds(0.3, 0.7))
    assert len(found) == cycles
    if cycles:
        assert (found[0].start, found[0].end) == (29, 40)  # the last frame at rest, the first back


def test_a_long_gap_after_leaving_rest_loses_that_squat(squat: Exercise) -> None:
    """A slow squat (4 s), unseen from the way down (2.0 s, out of rest) to the bottom (past the turn):
    after a 0.75 s gap it is counted, after a 1.4 s gap it is not (nobody saw it start)."""
    thresholds = Thresholds(140, 108)
    angles = np.concatenate([rest(), dip(4), rest()])
    for gap_end, expected in ((2.75, 1), (3.4, 0)):
        gapped = angles.copy()
        gapped[round(2.0 * FPS) : round(gap_end * FPS)] = np.nan
        before, after = gapped[round(2.0 * FPS) - 1], gapped[round(gap_end * FPS)]
        assert thresholds.turn < before < thresholds.start and after < thresholds.turn  # out, then turned
        assert counted(squat, gapped, thresholds).count == expected, gap_end


# ---------------------------------------------------------------- auto thresholds


def test_auto_thresholds_are_35_and_65_percent_of_the_robust_range() -> None:
    """Values 0..100 evenly: the 5th and 95th percentiles are 5 and 95, so the thresholds lie at
    5 + 0.35 * 90 = 36.5 and 5 + 0.65 * 90 = 63.5, turned round for a decreasing signal."""
    values = np.linspace(0.0, 100.0, 1001)
    assert auto_thresholds(values, "increasing", 10) == Thresholds(pytest.approx(36.5), pytest.approx(63.5))
    assert auto_thresholds(values, "decreasing", 10) == Thresholds(pytest.approx(63.5), pytest.approx(36.5))
    with_gaps = np.concatenate([values, [np.nan] * 50])
    assert auto_thresholds(with_gaps, "increasing", 10) == auto_thresholds(values, "increasing", 10)
    assert auto_thresholds(values, "increasing", 91) is None  # a range of 90 is below 91
    assert auto_thresholds(np.full(5, np.nan), "increasing", 1) is None


RAMP = np.linspace(0.0, 1.0, 30)


def _ups_and_downs(partial: list[float], full: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """``full`` movements 0 -> 100 (held 1 s) -> 0, then one to each height in ``partial`` and back to 0.
    Rest and top are held long enough to be the 5th and 95th percentiles: the range is exactly 0-100."""
    parts = [np.zeros(30)]
    for height in [100.0] * full + partial:
        parts += [height * RAMP, np.full(30, height), height * RAMP[::-1], np.zeros(30)]
    values = np.concatenate(parts)
    return np.arange(len(values)) / FPS, values


def test_a_movement_to_60_percent_of_the_range_does_not_reach_the_auto_turn() -> None:
    """The turn lies at 65 % of the person's range: a movement to 60 % is a half movement."""
    times, values = _ups_and_downs([60.0])
    thresholds = auto_thresholds(values, "increasing", 10)
    assert thresholds is not None
    assert thresholds == Thresholds(pytest.approx(35.0), pytest.approx(65.0))
    assert len(find_cycles(times, values, "increasing", thresholds)) == 4
    times, values = _ups_and_downs([70.0])
    assert len(find_cycles(times, values, "increasing", auto_thresholds(values, "increasing", 10))) == 5


def test_a_return_to_40_percent_of_the_range_is_not_back_at_rest() -> None:
    """The start position lies at 35 % of the range: movements that come back only to 40 % between them
    are one movement, not two."""
    top, between = np.full(30, 100.0), 40.0 + 60.0 * RAMP  # from 40 % up to the top again
    one = [np.zeros(30), 100 * RAMP, top, between[::-1], between, top, 100 * RAMP[::-1], np.zeros(30)]
    values = np.concatenate(one * 3)
    times = np.arange(len(values)) / FPS
    thresholds = auto_thresholds(values, "increasing", 10)
    assert thresholds == Thresholds(pytest.approx(35.0), pytest.approx(65.0))
    assert len(find_cycles(times, values, "increasing", thresholds)) == 3
