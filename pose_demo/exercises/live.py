"""Repetitions counted as frames arrive (webcam, and the count drawn on video frames), per person.

The offline engine (``tracks.count_reps``) is run again on the last ``window_s`` seconds of frames every
``recount_every_s``: so live and final counts come from the same state machine, thresholds and checks,
and the cost stays bounded (a recount of 10 s of one person takes about 9 ms for a given exercise, 30 ms
for ``auto``). A repetition is added once, when a recount first finds it turning after the last one
added ended. ``reset`` starts every count again from zero (the webcam tab's reset button).

A count follows the person, not the track id: a track that starts where a person was lost, within a few
seconds (``tracking.tracker.PersonLinker``), continues that person's count, under its own track id.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import replace

import numpy as np

from pose_demo.exercises.counting import oriented
from pose_demo.exercises.schema import ExerciseCatalog
from pose_demo.exercises.signals import signal_series
from pose_demo.exercises.tracks import PersonReps, count_reps
from pose_demo.results import LiveCount, Person
from pose_demo.tracking.tracker import PersonLinker

RECOUNT_EVERY_S = 0.5
WINDOW_S = 60.0


class LiveReps:
    """Per-person repetition counts of a stream of frames, given per track id; ``exercise`` is an id of
    ``catalog`` or ``auto``. The frames kept are labelled by person id (the id of the person's first
    track), so that the recounts see one person where the tracker gave several tracks."""

    def __init__(
        self,
        catalog: ExerciseCatalog,
        exercise: str,
        recount_every_s: float = RECOUNT_EVERY_S,
        window_s: float = WINDOW_S,
        linker: PersonLinker | None = None,
    ) -> None:
        """``linker``: the caller's, which the caller updates and tells of ended tracks before each call
        (``PoseStream`` links persons once for its rules, focus and counts); None: one of its own."""
        if exercise != "auto":
            catalog.get(exercise)  # an unknown id fails here, not at the first recount
        self.catalog = catalog
        self.exercise = exercise
        self.recount_every_s = recount_every_s
        self.window_s = window_s
        self._frames: deque[tuple[float, Sequence[Person]]] = deque()
        self._counts: dict[int, LiveCount] = {}  # per person id
        self._last_end: dict[int, float] = {}  # per person id: when the last repetition added ended
        self._linker = linker or PersonLinker()
        self._own_linker = linker is None
        self._next_recount = -math.inf
        self._reset = False

    def update(self, timestamp: float, persons: Sequence[Person]) -> dict[int, LiveCount]:
        """The counts per track id after this frame, of every track not forgotten (tracks of a person never
        counted yet are absent); the tracks of one person share their count."""
        if self._reset:
            self._reset = False
            self._frames.clear()
            self._counts = {}
            self._last_end.clear()
            self._next_recount = -math.inf
        ids = self._linker.update(list(persons), timestamp) if self._own_linker else self._linker.persons
        self._frames.append(
            (
                timestamp,
                [
                    p
                    if ids.get(p.track_id, p.track_id) == p.track_id
                    else replace(p, track_id=ids[p.track_id])
                    for p in persons
                ],
            )
        )
        while self._frames[0][0] < timestamp - self.window_s:
            self._frames.popleft()
        if timestamp >= self._next_recount:
            self._next_recount = timestamp + self.recount_every_s
            for person in count_reps(self._frames, self.catalog, self.exercise, link=False):
                self._add(person, [p for t, ps in self._frames for p in ps if p.track_id == person.track_id])
        self._drop_lost()
        return {
            track_id: self._counts[person_id]
            for track_id, person_id in self._linker.persons.items()
            if person_id in self._counts
        }

    def reset(self) -> None:
        """Count from zero again, from the next frame on: the frames seen so far are forgotten, so that no
        repetition done before is counted again. Safe to call from another thread than ``update``'s (it
        takes effect at the next ``update``)."""
        self._reset = True

    def forget(self, track_ids: Iterable[int]) -> None:
        """Tracks that ended: a person's count is dropped once none of their tracks is left and no new track
        can continue them any more (unseen for longer than the linker's ``max_gap_s``)."""
        if self._own_linker:
            self._linker.forget(track_ids)
        self._drop_lost()

    def _drop_lost(self) -> None:
        kept = set(self._linker.persons.values())
        for person_id in list(self._counts):
            if person_id not in kept and not self._linker.remembered(person_id):
                self._counts.pop(person_id, None)
                self._last_end.pop(person_id, None)

    def _add(self, person: PersonReps, seen: list[Person]) -> None:
        counted = person.counted
        if counted is None or counted.thresholds is None:
            return
        last_end = self._last_end.get(person.track_id, -math.inf)
        # A repetition found again by a later recount may end a frame or two later (thresholds move with the
        # window): a new one turns after the last one added ended.
        new = [rep for rep in counted.reps if rep.turn > last_end]
        if new:
            self._last_end[person.track_id] = new[-1].end
        before = self._counts.get(person.track_id)
        exercise = counted.exercise
        latest = (
            signal_series(exercise.signal, seen[-1].keypoints[None], exercise.min_score)[0]
            if seen
            else np.nan
        )
        start = oriented(np.array([counted.thresholds.start]), exercise.work)[0]
        moving = bool(oriented(np.array([latest]), exercise.work)[0] > start)  # NaN: not moving
        count = (before.count if before is not None else 0) + len(new)
        last = new[-1] if new else before.last if before is not None else None
        self._counts[person.track_id] = LiveCount(
            exercise.id, count, moving, last, exercise.signal.unit, exercise.title
        )
