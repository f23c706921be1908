"""Where repetitions are counted: a hysteresis state machine on one person's smoothed signal (pure numpy).

The signal is turned so that the work phase goes up (``work: decreasing`` signals are negated); then a
repetition is: at rest (at or below the ``start`` threshold) -> past the ``turn`` threshold -> back at
rest. A movement that leaves rest and comes back without passing ``turn`` (a half movement, an arm swing)
is not one. Unknown frames (NaN) neither start nor finish anything; a gap longer than ``max_gap_s`` (beyond
the usual frame interval) resets the phase, so that a repetition is only counted from a seen start position.
A track first seen between rest and turn (a clip that begins as a repetition does) starts there. One frame
at rest between frames away from it is a flicker of the keypoints, not a return to rest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pose_demo.exercises.schema import Thresholds

AUTO_RANGE = (5.0, 95.0)  # percentiles of the person's own signal taken as their range of motion
AUTO_START, AUTO_TURN = 0.35, 0.65  # auto thresholds, as fractions of that range from the start side
MAX_GAP_S = 1.0  # unknown for longer than this: the phase is forgotten
TURN_MARGIN = 0.1  # the turning pause: frames within this fraction of the repetition's range of its extreme
# The phases of ``find_cycles``: unknown -> rest -> out (left rest) -> turned -> rest (a cycle)
UNKNOWN, REST, OUT, TURNED = "unknown", "rest", "out", "turned"


@dataclass(frozen=True)
class Cycle:
    """Frame indices of one candidate repetition: last frame at rest, turning pause, first frame back."""

    start: int
    turn_first: int
    turn_last: int
    end: int


def work_sign(work: str) -> float:
    """-1 for a signal whose work phase goes down (``decreasing``), else 1."""
    return -1.0 if work == "decreasing" else 1.0


def oriented(values: np.ndarray, work: str) -> np.ndarray:
    """The signal turned so that the work phase (start -> turn) goes up."""
    return work_sign(work) * np.asarray(values, dtype=np.float64)


def auto_thresholds(values: np.ndarray, work: str, min_amplitude: float) -> Thresholds | None:
    """Thresholds from the person's own robust range; None when that range is below ``min_amplitude``
    (nothing to count) or the signal is never known."""
    up = oriented(values, work)
    known = up[~np.isnan(up)]
    if known.size == 0:
        return None
    low, high = np.percentile(known, AUTO_RANGE)
    if high - low < min_amplitude:
        return None
    start, turn = low + AUTO_START * (high - low), low + AUTO_TURN * (high - low)
    return Thresholds(float(work_sign(work) * start), float(work_sign(work) * turn))


def find_cycles(
    times: np.ndarray, values: np.ndarray, work: str, thresholds: Thresholds, max_gap_s: float = MAX_GAP_S
) -> list[Cycle]:
    """Every rest -> turn -> rest cycle of the signal, in order (no checks of amplitude or duration).

    A cycle starts where the person leaves the start position (the last frame of the rest phase before it
    within ``TURN_MARGIN`` of that phase's extreme) and ends where they are back in it.
    """
    up = oriented(values, work)
    start_level, turn_level = work_sign(work) * thresholds.start, work_sign(work) * thresholds.turn
    rests: list[list[int]] = []  # the known frames of each rest phase
    opened: list[tuple[str, int]] = []  # for each rest phase, the phase and cycle count before it opened
    turned: list[int] = []  # for each cycle, the index in ``rests`` of the rest phase it ends in
    phase = UNKNOWN
    last_seen: int | None = None
    # Unseen time is what lies beyond the usual frame interval: at 3 frames/s, frames 1.33 s apart leave
    # the person unseen for 1 s (and float noise does not make a gap of exactly ``max_gap_s`` longer).
    steps = np.diff(times)
    unseen_after = max_gap_s + (float(np.median(steps[steps > 0])) if np.any(steps > 0) else 0.0) + 1e-6
    for i in np.flatnonzero(~np.isnan(up)):
        first = last_seen is None
        if not first and times[i] - times[last_seen] > unseen_after:
            phase = UNKNOWN
        last_seen = i
        if up[i] <= start_level:
            if phase != REST:
                opened.append((phase, len(turned)))
                if phase == TURNED:
                    turned.append(len(rests))
                rests.append([])
            rests[-1].append(i)
            phase = REST
        elif first and up[i] < turn_level:  # seen first on the way out: the repetition began as the track did
            opened.append((UNKNOWN, 0))
            rests.append([i])
            phase = OUT
        else:
            if phase == REST and len(rests[-1]) == 1:  # one frame is not a position: a flicker, undone
                rests.pop()
                phase, cycles = opened.pop()
                del turned[cycles:]
            if phase in (REST, OUT):
                phase = TURNED if up[i] >= turn_level else OUT
    return [_cycle(up, rests[k - 1], rests[k]) for k in turned]


def _cycle(up: np.ndarray, rest_before: list[int], rest_after: list[int]) -> Cycle:
    """The cycle between two rest phases, with its start, turning pause and end (see ``_pause``).

    The rest pauses are looked for only in the stretch of each rest phase next to the cycle (see
    ``_next_to``): a long rest phase may hold another position (kneeling down before the first push-up),
    which is not where the repetition starts.
    """
    peak = float(np.nanmax(up[rest_before[-1] : rest_after[0] + 1]))
    before = _next_to(up, rest_before[::-1], peak)[::-1]
    after = _next_to(up, rest_after, peak)
    start, end = _pause(up, before, before[-1], -1), _pause(up, after, after[0], 1)
    turn_first, turn_last = _pause(up, list(range(start, end + 1)), None, 0)
    return Cycle(start, turn_first, turn_last, end)


def _next_to(up: np.ndarray, frames: list[int], peak: float) -> list[int]:
    """The frames of a rest phase, from the cycle outwards (``frames[0]`` next to it), up to where the
    signal, having gone down to its rest level, rises again by more than ``TURN_MARGIN`` of the cycle's
    range (another movement, further away from the cycle)."""
    low = float(up[frames[0]])
    tolerance = TURN_MARGIN * (peak - low)
    for k, f in enumerate(frames):
        if up[f] > low + tolerance:
            return frames[:k]
        low = min(low, float(up[f]))
    return frames


def _pause(up: np.ndarray, frames: list[int], near: int | None, side: int) -> tuple[int, int] | int:
    """Where the signal pauses at its extreme among ``frames``: within ``TURN_MARGIN`` of the range.

    side 0: the turning pause (the frames around the maximum; unknown frames do not break it), as
    (first, last). side -1 / 1: the rest pause (the minimum) of the rest phase before / after a cycle: its
    last / first frame, measured against the frames from it to ``near``.
    """
    values = up[frames]
    if side == 0:
        peak = int(np.nanargmax(values))
        floor = values[peak] - TURN_MARGIN * (values[peak] - np.nanmin(values))
        keep = np.isnan(values) | (values >= floor)
        first = last = peak
        while first > 0 and keep[first - 1]:
            first -= 1
        while last < len(values) - 1 and keep[last + 1]:
            last += 1
        return frames[first], frames[last]
    bottom = float(np.min(values))
    ceiling = bottom + TURN_MARGIN * (float(up[near]) - bottom) if near is not None else bottom
    at_rest = [f for f, v in zip(frames, values, strict=True) if v <= ceiling]
    return at_rest[-1] if side < 0 else at_rest[0]
