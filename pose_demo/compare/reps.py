"""Rep by rep: when both clips hold repetitions of one exercise, their turning points (bottom of a squat,
top of a raise) are matched in order, so that a repetition missing from one clip is left out rather than
swallowing its neighbours; the alignment is then pinned at the matched turning points."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pose_demo.compare.features import angle_difference
from pose_demo.compare.motion import Motion
from pose_demo.exercises.auto import choose_exercise
from pose_demo.exercises.reps import count_track
from pose_demo.exercises.schema import Exercise, load_catalog

# Turning points are compared over this many seconds either side (frame by frame, in time).
TURN_CONTEXT_S = 0.5
# Two turning points further apart than this (mean angle difference, degrees) are not the same repetition.
SKIP_COST_DEG = 15.0


@dataclass(frozen=True)
class RepSpan:
    """One repetition's frame positions: start, turning point, end."""

    start: int
    turn: int
    end: int


@dataclass(frozen=True)
class RepTurns:
    """The exercise both clips were counted as, and each clip's repetitions."""

    exercise: str
    reference: tuple[RepSpan, ...]
    athlete: tuple[RepSpan, ...]


def recognised(motion: Motion) -> Exercise | None:
    """The exercise of the default catalog that a clip repeats (``auto``: the clearest), if any."""
    counted = choose_exercise(load_catalog("default").exercises, motion.times, motion.keypoints).counted
    return None if counted is None else counted.exercise


def rep_turns(reference: Motion, athlete: Motion, exercise: Exercise) -> RepTurns:
    """The turning points of both clips, both counted as ``exercise``."""

    def turns(motion: Motion) -> tuple[RepSpan, ...]:
        def frame(t: float) -> int:
            return int(np.argmin(np.abs(motion.times - t)))

        reps = count_track(exercise, motion.times, motion.keypoints).reps
        return tuple(RepSpan(frame(r.start), frame(r.turn), frame(r.end)) for r in reps)

    return RepTurns(exercise.id, turns(reference), turns(athlete))


def turn_cost(reference: np.ndarray, athlete: np.ndarray, r: int, a: int, context: int) -> float:
    """Mean angle difference (degrees) of two stretches of frames centred on frames r and a."""
    before = min(context, r, a)
    after = min(context, len(reference) - 1 - r, len(athlete) - 1 - a)
    d = np.abs(angle_difference(reference[r - before : r + after + 1], athlete[a - before : a + after + 1]))
    return float(np.nanmean(d)) if np.isfinite(d).any() else np.inf


def match_reps(
    reference: np.ndarray, athlete: np.ndarray, turns: RepTurns, context: int
) -> list[tuple[RepSpan, RepSpan]]:
    """The repetitions paired in order (reference, athlete) by their turning points' angles (``reference``
    and ``athlete``: (N, K) angles), at the least total cost, where leaving one out costs
    ``SKIP_COST_DEG`` (an edit-distance dynamic programme)."""
    n, m = len(turns.reference), len(turns.athlete)
    cost = np.array(
        [
            [turn_cost(reference, athlete, r.turn, a.turn, context) for a in turns.athlete]
            for r in turns.reference
        ]
    ).reshape(n, m)
    cost[~(cost < SKIP_COST_DEG)] = np.inf  # too different to be the same repetition
    total = np.zeros((n + 1, m + 1))
    total[:, 0] = np.arange(n + 1) * SKIP_COST_DEG
    total[0, :] = np.arange(m + 1) * SKIP_COST_DEG
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            total[i, j] = min(
                total[i - 1, j - 1] + cost[i - 1, j - 1],
                total[i - 1, j] + SKIP_COST_DEG,
                total[i, j - 1] + SKIP_COST_DEG,
            )
    pairs = []
    i, j = n, m
    while i > 0 and j > 0:
        if total[i, j] == total[i - 1, j - 1] + cost[i - 1, j - 1]:
            pairs.append((turns.reference[i - 1], turns.athlete[j - 1]))
            i, j = i - 1, j - 1
        elif total[i, j] == total[i - 1, j] + SKIP_COST_DEG:
            i -= 1
        else:
            j -= 1
    return pairs[::-1]


def rep_anchors(pairs: list[tuple[RepSpan, RepSpan]]) -> list[tuple[int, int]]:
    """Frames the alignment must go through: the start, turning point and end of each matched pair of
    repetitions (those that would make the path go backwards left out)."""
    anchors: list[tuple[int, int]] = []
    for ref, ath in pairs:
        for r, a in ((ref.start, ath.start), (ref.turn, ath.turn), (ref.end, ath.end)):
            if not anchors or (r >= anchors[-1][0] and a >= anchors[-1][1] and (r, a) != anchors[-1]):
                anchors.append((r, a))
    return anchors
