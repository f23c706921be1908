"""Debounced rule verdicts for streams, kept per track, with the contexts that need time (standing still)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import replace

import numpy as np

from pose_demo.geometry import body_motion, upright
from pose_demo.results import Person, Verdict
from pose_demo.rules.ruleset import RuleSet, photo_contexts
from pose_demo.tracking.sides import continue_degrees

_SEVERITY_LEVELS = ("ok", "mild", "severe")
STILL_WINDOW_S = 1.0  # standing still: upright, and moving little over this last stretch of time ...
STILL_MAX_MOTION = 0.1  # ... no pose in it further than this (body units, see geometry.body_motion)


class RuleTracker:
    """Evaluates a rule set per tracked person; a screening or action rule holds (and keeps its grade)
    only once it held in at least ``n`` of the last ``m`` frames of that track (the rule's ``debounce``).

    Rules with ``when: standing_still`` are judged only while the person is upright and has moved little
    over the last ``STILL_WINDOW_S`` seconds of the track (needs the frame times; without them, or for a
    person without a track, upright is enough, as in a photo); otherwise their verdict is unknown, with
    its value.

    Persons without a ``track_id`` and rules without a debounce get the plain per-frame verdict.
    Call ``forget`` with the ids of tracks that ended to drop their history, ``link`` when a new track
    continues a lost one's person.
    """

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        self._by_id = {r.id: r for r in rules.rules}
        self._history: dict[tuple[int, str], deque[int]] = {}
        self._poses: dict[int, deque[tuple[float, np.ndarray]]] = {}
        self._angles: dict[tuple[int, str], float | None] = {}  # per track and rule: the last angle
        self._needs_stillness = any(r.when == "standing_still" for r in rules.rules)

    def evaluate(self, person: Person, time_s: float | None = None) -> list[Verdict]:
        """The debounced verdicts of one person; ``time_s``: the frame's time in seconds (any origin)."""
        contexts = photo_contexts(person.keypoints)
        if self._needs_stillness and person.track_id is not None and time_s is not None:
            contexts = frozenset({"standing_still"}) if self._standing_still(person, time_s) else frozenset()
        verdicts = self.rules.evaluate(person, contexts=contexts)
        if person.track_id is None:
            return verdicts
        return [
            self._debounced(person.track_id, self._continued(person.track_id, v), contexts) for v in verdicts
        ]

    def _continued(self, track_id: int, verdict: Verdict) -> Verdict:
        """An angle kept continuous along the track: a signed angle from the vertical passing 180 degrees
        (a person upside down) goes on to 181, not -179 (``tracking.sides.continue_degrees``)."""
        if verdict.unit != "deg" or verdict.value is None:
            return verdict
        key = (track_id, verdict.id)
        value = continue_degrees(self._angles.get(key), verdict.value)
        self._angles[key] = value
        return verdict if value == verdict.value else replace(verdict, value=value)

    def link(self, track_id: int, previous_id: int) -> None:
        """A new track continues a person lost under ``previous_id`` (``tracking.tracker.PersonLinker``):
        it takes over that track's history, so that debounced verdicts go on where they were."""
        for store in (self._history, self._angles):
            for key in [k for k in store if k[0] == previous_id]:
                store[(track_id, key[1])] = store.pop(key)
        if previous_id in self._poses:
            self._poses[track_id] = self._poses.pop(previous_id)

    def forget(self, track_ids: Iterable[int]) -> None:
        gone = set(track_ids)
        for key in [k for k in self._history if k[0] in gone]:
            del self._history[key]
        for key in [k for k in self._angles if k[0] in gone]:
            del self._angles[key]
        for track_id in gone & set(self._poses):
            del self._poses[track_id]

    def _standing_still(self, person: Person, time_s: float) -> bool:
        """Upright now, and no pose of the last ``STILL_WINDOW_S`` seconds further than ``STILL_MAX_MOTION``.
        A track younger than the window is judged on the poses it has."""
        poses = self._poses.setdefault(person.track_id, deque())
        while poses and (poses[0][0] < time_s - STILL_WINDOW_S or poses[0][0] >= time_s):
            poses.popleft()  # too old (or a restarted clock)
        past = np.stack([kps for _, kps in poses]) if poses else np.zeros((0, *person.keypoints.shape))
        poses.append((time_s, person.keypoints))
        if not bool(upright(person.keypoints)):
            return False
        motion = body_motion(past, person.keypoints)
        return bool(np.all(motion[~np.isnan(motion)] <= STILL_MAX_MOTION))

    def _debounced(self, track_id: int, verdict: Verdict, contexts: frozenset[str]) -> Verdict:
        rule = self._by_id[verdict.id]
        if rule.debounce is None:
            return verdict
        n, m = rule.debounce
        history = self._history.setdefault((track_id, verdict.id), deque(maxlen=m))
        history.append(2 if verdict.level == "severe" else int(verdict.triggered))
        if rule.when is not None and rule.when not in contexts:
            return verdict  # out of its context: unknown now, not a grade held over from before
        severity = max((s for s in (1, 2) if sum(h >= s for h in history) >= n), default=0)
        level = verdict.level
        if rule.thresholds is not None and not (severity == 0 and level == "unknown"):
            level = _SEVERITY_LEVELS[severity]
        return replace(verdict, triggered=severity > 0, level=level)
