"""From frames of tracked persons to repetitions per person: the fragments of one person's track (the
tracker lost them and found them again under a new id, ``tracking.tracker.PersonLinker``) joined, each
person's keypoints over the whole run, then their exercise (given, or chosen by ``auto``) counted on them."""

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
from pose_demo.tracking.tracker import link_tracks


@dataclass(frozen=True)
class PersonReps:
    """A person's repetitions: the exercise (None when ``auto`` found none), how sure ``auto`` was (1.0 for
    a given exercise), and how many frames the person was seen in. ``track_id`` is the person's first
    track's; ``tracks`` all of the person's track ids, in order (more than one when the tracker lost them
    and found them again under a new id)."""

    track_id: int
    frames: int
    counted: TrackReps | None
    confidence: float
    tracks: tuple[int, ...] = ()
    movement: TrackReps | None = None  # auto found no exercise: the clearest repeated body movement

    @property
    def movement_count(self) -> int:
        return 0 if self.movement is None else self.movement.count

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
            "tracks": list(self.tracks or (self.track_id,)),
            "exercise": self.exercise,
            "confidence": round(self.confidence, 3),
            "unit": counted.exercise.signal.unit if counted is not None else None,
            "thresholds": None
            if thresholds is None
            else {"start": round(thresholds.start, 3), "turn": round(thresholds.turn, 3)},
            "count": self.count,
            "reps": [r.to_dict() for r in counted.reps] if counted is not None else [],
            "set": (counted.summary if counted is not None else SetSummary(0)).to_dict(),
            "movement": None
            if self.movement is None
            else {
                "part": self.movement.exercise.id,
                "count": self.movement.count,
                "turns": [round(r.turn, 3) for r in self.movement.reps],
            },
        }


def track_series(
    frames: Iterable[tuple[float, Sequence[Person]]], link: bool = True
) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """The frames' times (N,) and, per person, their keypoints (N, 17, 3), zeros where they were not seen.
    A person is keyed by their first track's id, their track fragments joined (``link_tracks``); ``link``
    False: per track id as given."""
    frames = list(frames)
    return person_series(frames, link_tracks(frames) if link else {})


def person_series(
    frames: Sequence[tuple[float, Sequence[Person]]], persons: dict[int, int]
) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """As ``track_series``, with ``persons`` (track id -> person id) given; tracks absent from it are their
    own person."""
    times = np.array([t for t, _ in frames], dtype=np.float64)
    tracks: dict[int, np.ndarray] = {}
    for i, (_, found) in enumerate(frames):
        for person in found:
            if person.track_id is None:
                continue
            key = persons.get(person.track_id, person.track_id)
            if key not in tracks:
                tracks[key] = np.zeros((len(frames), len(COCO17.keypoints), 3))
            if person.keypoints[:, 2].mean() >= tracks[key][i, :, 2].mean():  # the better of two in a frame
                tracks[key][i] = person.keypoints
    return times, tracks


def count_reps(
    frames: Iterable[tuple[float, Sequence[Person]]],
    catalog: ExerciseCatalog,
    exercise: str = "auto",
    link: bool = True,
) -> list[PersonReps]:
    """Repetitions per person, longest-seen first. ``exercise``: an id of ``catalog``, or ``auto`` (per
    person, the clearest repeated movement of the catalog's exercises). ``link``: a person's track
    fragments are joined first (``tracking.tracker.link_tracks``); False: counted per track id as given."""
    chosen = None if exercise == "auto" else catalog.get(exercise)  # unknown ids fail before any work
    frames = list(frames)
    links = link_tracks(frames) if link else {}
    times, tracks = person_series(frames, links)
    fragments: dict[int, list[int]] = {}
    for track_id, person_id in sorted(links.items()):
        fragments.setdefault(person_id, []).append(track_id)
    persons = []
    for person_id, keypoints in tracks.items():
        seen = int(np.count_nonzero(keypoints[..., 2].max(axis=1) > 0))
        ids = tuple(fragments.get(person_id, [person_id]))
        if chosen is not None:
            persons.append(PersonReps(person_id, seen, count_track(chosen, times, keypoints), 1.0, ids))
        else:
            choice = choose_exercise(catalog.exercises, times, keypoints)
            persons.append(
                PersonReps(person_id, seen, choice.counted, choice.confidence, ids, choice.movement)
            )
    return sorted(persons, key=lambda p: (-p.frames, p.track_id))
