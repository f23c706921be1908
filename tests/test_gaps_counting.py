"""The counting state machine at its edges (issue 30: mutants of ``pose_demo/exercises/counting.py`` that the
other tests let through): values exactly on the thresholds, a gap exactly as long as the usual frame
interval allows, the exact frames of a repetition's start, turning pause and end, and the work direction."""

from __future__ import annotations

import numpy as np
import pytest

from pose_demo.exercises.counting import Cycle, auto_thresholds, find_cycles, oriented
from pose_demo.exercises.schema import Thresholds

UP = Thresholds(0.35, 0.65)  # an increasing signal: rest at or below 0.35, turned at or above 0.65


def cycles(values: list[float], step_s: float = 0.5, times: list[float] | None = None) -> list[Cycle]:
    at = np.array(times) if times is not None else np.arange(len(values)) * step_s
    return find_cycles(at, np.array(values, dtype=float), "increasing", UP)


def test_a_value_on_the_start_threshold_is_at_rest() -> None:
    assert len(cycles([0.0] * 3 + [1.0] * 3 + [0.35] * 3)) == 1
    assert len(cycles([0.0] * 3 + [1.0] * 3 + [0.36] * 3)) == 0


def test_a_value_on_the_turn_threshold_has_turned() -> None:
    assert len(cycles([0.0] * 3 + [0.65] * 3 + [0.0] * 3)) == 1
    assert len(cycles([0.0] * 3 + [0.64] * 3 + [0.0] * 3)) == 0


def test_a_track_first_seen_on_the_turn_threshold_has_not_begun_a_repetition() -> None:
    """First seen exactly at the turn: the way out was not seen, so nothing is counted; just below it,
    the repetition began as the track did."""
    assert len(cycles([0.65] * 3 + [1.0] * 3 + [0.0] * 3)) == 0
    assert len(cycles([0.64] * 3 + [1.0] * 3 + [0.0] * 3)) == 1


def test_a_gap_of_the_longest_allowed_length_keeps_the_phase() -> None:
    """Frames every 0.5 s: unseen for up to 1 s beyond the usual interval (frames 1.5 s apart) keeps the
    repetition going; 2 s apart forgets it."""
    values = [0.0, 0.0, 1.0, 1.0, 0.0, 0.0]
    assert len(cycles(values, times=[0.0, 0.5, 1.0, 1.5, 3.0, 3.5])) == 1
    assert len(cycles(values, times=[0.0, 0.5, 1.0, 1.5, 3.5, 4.0])) == 0


def test_a_gap_after_the_rest_pause_forgets_the_phase() -> None:
    """Leaving rest unseen (2 s gap after the rest pause): not counted; seen, counted. One frame at rest
    before it is a flicker, not a rest pause."""
    values = [0.0, 0.0, 1.0, 1.0, 0.0, 0.0]
    assert len(cycles(values, times=[0.0, 0.5, 2.5, 3.0, 3.5, 4.0])) == 0
    assert len(cycles(values, times=[0.0, 0.5, 1.0, 1.5, 2.0, 2.5])) == 1
    assert len(cycles(values[1:], times=[0.0, 0.5, 1.0, 1.5, 2.0])) == 0


def test_the_exact_frames_of_a_repetition() -> None:
    """The last frame of the rest pause before, the turning pause (frames within 10 % of the range of the
    peak, an unknown frame inside it included) and the first frame of the rest pause after."""
    values = [0.0, 0.0, 0.0, 0.0, 0.2, 0.5, 0.8, 0.95, 1.0, np.nan, 0.97, 0.8, 0.5, 0.2, 0.0, 0.0, 0.0]
    assert cycles(values) == [Cycle(start=3, turn_first=7, turn_last=10, end=14)]
    # the rest pauses: within 10 % of the way from the rest phase's lowest value to the frame next to the
    # repetition (0.01 and 0.015 are at rest with a lowest 0.0 and a neighbour at 0.2)
    noisy = [0.01, 0.0, 0.015, 0.01, 0.2, 0.5, 1.0, 1.0, 0.5, 0.2, 0.01, 0.0, 0.015, 0.03]
    assert cycles(noisy) == [Cycle(start=3, turn_first=6, turn_last=7, end=10)]


def test_the_rest_pause_is_the_stretch_next_to_the_repetition() -> None:
    """A rest phase holding another position further away (kneeling down before the first push-up) does not
    move the start there: the start is the last frame of the low stretch next to the repetition."""
    values = [0.3, 0.3, 0.3, 0.0, 0.0, 0.0, 0.5, 1.0, 1.0, 0.5, 0.1, 0.1, 0.3, 0.3]
    assert cycles(values) == [Cycle(start=5, turn_first=7, turn_last=8, end=10)]


def test_a_decreasing_signal_turns_at_its_minimum() -> None:
    """A knee angle: rest at 170 deg, turn at 70 deg. ``oriented`` turns it so that work goes up."""
    knee = np.array([170.0] * 3 + [120.0, 70.0, 70.0, 120.0] + [170.0] * 3)
    assert oriented(knee, "decreasing").tolist() == (-knee).tolist()
    assert oriented(knee, "increasing").tolist() == knee.tolist()
    found = find_cycles(np.arange(len(knee)) * 0.5, knee, "decreasing", Thresholds(150.0, 90.0))
    assert found == [Cycle(start=2, turn_first=4, turn_last=5, end=7)]
    assert find_cycles(np.arange(len(knee)) * 0.5, knee, "increasing", Thresholds(150.0, 160.0)) == []


@pytest.mark.parametrize(("spread", "counted"), [(0.99, False), (1.0, True)])
def test_auto_thresholds_need_the_minimum_amplitude(spread: float, counted: bool) -> None:
    """The robust range (5th to 95th percentile) must reach ``min_amplitude``: exactly it is enough."""
    values = np.concatenate([np.zeros(50), np.full(50, spread)])
    found = auto_thresholds(values, "increasing", 1.0)
    assert (found is not None) == counted
    if found is not None:
        assert found == Thresholds(pytest.approx(0.35), pytest.approx(0.65))
    knee = auto_thresholds(170.0 - 100.0 * np.concatenate([np.zeros(50), np.ones(50)]), "decreasing", 40.0)
    assert knee == Thresholds(pytest.approx(135.0), pytest.approx(105.0))
