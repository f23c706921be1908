"""From frames of tracked persons to repetitions per track: each track's keypoints over the whole run,
then its exercise (given, or chosen by ``auto``) counted on them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from pose_demo.exercises.auto import choose_exercise
from pose_demo.exercises.reps import SetSummary, TrackReps, count_track
from pose_demo.exercises.schema import ExerciseCatalog
from pose_demo.results import Person
from pose_demo.skeleton import COCO17


@dataclass(frozen=True)
class PersonReps:
    """A track's repetitions: the exercise (None when ``auto`` found none), how sure ``auto`` was (1.0 for a
    given exercise), and how many frames the track was seen in."""

    track_id: int
    frames: int
    counted: TrackReps | None
    confidence: float

    @property
    def exercise(self) -> str | None:
        return None if self.counted is None else self.counted.exercise.id

    @property
    def count(self) -> int:
        return 0 if self.counted is None else self.counted.count

    def to_dict(self) -> dict[str, Any]:
        counted = self.counted
        thresholds = counted.thresholds if counted is not None else None
        return {
            "track_id": self.track_id,
            "exercise": self.exercise,
            "confidence": round(self.confidence, 3),
            "unit": counted.exercise.signal.unit if counted is not None else None,
            "thresholds": None
            if thresholds is None
            else {"start": round(thresholds.start, 3), "turn": round(thresholds.turn, 3)},
            "count": self.count,
            "reps": [r.to_dict() for r in counted.reps] if counted is not None else [],
            "set": (counted.summary if counted is not None else SetSummary(0)).to_dict(),
        }


def track_series(
    frames: Iterable[tuple[float, Sequence[Person]]],
) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """The frames' times (N,) and, per track id, its keypoints (N, 17, 3), zeros where it was not seen."""
    frames = list(frames)
    times = np.array([t for t, _ in frames], dtype=np.float64)
    tracks: dict[int, np.ndarray] = {}
    for i, (_, persons) in enumerate(frames):
        for person in persons:
            if person.track_id is None:
                continue
            if person.track_id not in tracks:
                tracks[person.track_id] = np.zeros((len(frames), len(COCO17.keypoints), 3))
            tracks[person.track_id][i] = person.keypoints
    return times, tracks


def count_reps(
    frames: Iterable[tuple[float, Sequence[Person]]], catalog: ExerciseCatalog, exercise: str = "auto"
) -> list[PersonReps]:
    """Repetitions per track, longest-seen track first. ``exercise``: an id of ``catalog``, or ``auto``
    (per track, the clearest repeated movement of the catalog's exercises)."""
    chosen = None if exercise == "auto" else catalog.get(exercise)  # unknown ids fail before any work
    times, tracks = track_series(frames)
    persons = []
    for track_id, keypoints in tracks.items():
        seen = int(np.count_nonzero(keypoints[..., 2].max(axis=1) > 0))
        if chosen is not None:
            persons.append(PersonReps(track_id, seen, count_track(chosen, times, keypoints), 1.0))
        else:
            choice = choose_exercise(catalog.exercises, times, keypoints)
            persons.append(PersonReps(track_id, seen, choice.counted, choice.confidence))
    return sorted(persons, key=lambda p: (-p.frames, p.track_id))
