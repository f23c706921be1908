"""``auto``: which exercise a person is doing, from the clearest repeated movement among the catalog's; when
none fits (each exercise's posture, stillness and travel conditions reject what the person does), the
exercise is None and the clearest movement of one body part (``schema.movements``) is offered instead."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pose_demo.exercises.reps import TrackReps, count_track
from pose_demo.exercises.schema import Exercise, movements

MIN_AUTO_REPS = 2  # one movement is not yet an exercise


@dataclass(frozen=True)
class Choice:
    """The exercise chosen for a track (None: no exercise of the catalog) and how sure, 0..1: its score's
    share of all candidates' scores. With no exercise, ``movement``: the clearest repeated movement of one
    body part (None if there is none either)."""

    counted: TrackReps | None
    confidence: float
    movement: TrackReps | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence must be from 0 to 1, not {self.confidence}")


def clarity(counted: TrackReps) -> float:
    """How clearly a track repeats an exercise: repetitions x median range over the exercise's minimum x
    regularity (1 minus the spread of durations, relative; at least 0.2). 0 below ``MIN_AUTO_REPS``."""
    if counted.count < MIN_AUTO_REPS:
        return 0.0
    ranges = np.array([r.amplitude for r in counted.reps])
    durations = np.array([r.duration for r in counted.reps])
    regularity = max(0.2, 1.0 - float(durations.std() / durations.mean()))
    return counted.count * float(np.median(ranges)) / max(counted.exercise.min_amplitude, 1e-9) * regularity


def clearest(
    exercises: Sequence[Exercise], times: np.ndarray, keypoints: np.ndarray
) -> tuple[TrackReps | None, float]:
    """Every exercise counted on the track: the clearest (None when none is clear) and its share of all
    scores."""
    scored = [(clarity(c), c) for c in (count_track(e, times, keypoints) for e in exercises)]
    total = sum(score for score, _ in scored)
    if total <= 0:
        return None, 0.0
    score, best = max(scored, key=lambda item: item[0])
    return best, score / total


def choose_exercise(exercises: Sequence[Exercise], times: np.ndarray, keypoints: np.ndarray) -> Choice:
    """Every exercise counted on the track; the clearest wins. None fits: the clearest body movement."""
    best, confidence = clearest(exercises, times, keypoints)
    if best is not None:
        return Choice(best, confidence)
    return Choice(None, 0.0, clearest(movements(), times, keypoints)[0])
