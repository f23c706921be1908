"""PoseStream: the stateful per-session pipeline for live streams and video files.

(enhance) -> detect (or follow the tracks) -> track -> (focus) -> left/right swaps and bone-length outliers
repaired and smoothed per track -> rules debounced per track (a track continuing a lost person takes over its
history) -> repetitions counted per person -> draw.
Every session owns its tracker, smoothers and rule history; nothing is shared between instances.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from pose_demo.analysis import AnalysisOptions
from pose_demo.enhance import enhance_dark
from pose_demo.exercises.live import LiveReps
from pose_demo.exercises.schema import load_catalog
from pose_demo.focus import focus_persons
from pose_demo.predictor import UniModel
from pose_demo.results import Box, FrameResult, Person
from pose_demo.rules import RuleTracker
from pose_demo.timing import StageTimer
from pose_demo.tracking import Tracker, box_from_keypoints, make_smoother
from pose_demo.tracking.bones import BoneKeeper
from pose_demo.tracking.sides import SideKeeper
from pose_demo.tracking.tracker import PersonLinker
from pose_demo.visualization.draw import DrawOptions, draw_result


class PoseStream:
    """Turns a sequence of timestamped BGR frames into annotated frames and per-person results.

    options: what to find (``AnalysisOptions``), every option applied per track:
        det_interval: the detector runs on every k-th frame only; in between, keypoints are found in the
            boxes the tracker predicts, and each box is re-anchored on the keypoints found (the track's
            last detected box, moved with the centre of their extent). A frame with no track to follow
            runs the detector anyway.
        smoothing, strength: the keypoint filter per track (see ``pose_demo.tracking.make_smoother``).
        bone_repair: bone-length outliers repaired per track, before the filter (``tracking.bones``).
        rules: evaluated on every person, debounced per track.
        exercise: repetitions counted per track as frames arrive (``pose_demo.exercises.live``), set on
            each person as ``reps``.
        focus: among the tracked persons, the largest or most central one is chosen when no one is
            followed, then followed by its track id until its track ends (frames where it is missed show
            nobody), so that it keeps its id and the choice does not flicker between persons of about the
            same size; a new track that continues them (``tracking.tracker.PersonLinker``) is followed
            from its first frame on.
        enhance: results are found on ``enhance_dark`` of each frame and drawn on the frame as given.
    draw_options: how ``draw`` (and so ``process``) draws results; may be changed between frames.
    max_latency_s: live streams drop late frames instead of queueing them. ``timestamp_s`` is the
        capture time on the sender's clock (any origin); a frame is late when it arrives more than
        ``max_latency_s`` later, relative to its capture time, than the quickest frame so far did (so
        clock offsets and the usual transport delay cancel out). None processes every frame (files).
        Frames whose timestamp does not increase are dropped too. A dropped frame returns the previous
        output again (or the frame itself with no persons before the first output); ``dropped`` counts them.
    clock: the receiver's clock in seconds, for the latency rule.
    """

    def __init__(
        self,
        model: UniModel,
        options: AnalysisOptions = AnalysisOptions(),
        draw_options: DrawOptions = DrawOptions(),
        max_latency_s: float | None = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.model = model
        self.options = options
        self.draw_options = draw_options
        self.max_latency_s = max_latency_s
        self.clock = clock
        self.tracker = Tracker()
        self.sides = SideKeeper()
        self.bones = BoneKeeper() if options.bone_repair else None
        self.smoother = make_smoother(options.smoothing, options.strength)
        self.rules = RuleTracker(options.rules) if options.rules is not None else None
        self.persons = PersonLinker()  # one person across track fragments: focus, rules, counts follow
        self.reps = None
        if options.exercise is not None:
            self.reps = LiveReps(
                load_catalog(options.exercise_catalog), options.exercise, linker=self.persons
            )
        self.timer = StageTimer()
        self.dropped = 0
        self._processed = 0
        self._last_time = -math.inf
        self._min_delay = math.inf
        self._last_output: tuple[np.ndarray, FrameResult] | None = None
        self._anchors: dict[int, np.ndarray] = {}  # per track: last detected box relative to keypoints
        self._main = options.person  # the track id of the main person, when focusing

    def process(self, frame_bgr: np.ndarray, timestamp_s: float) -> tuple[np.ndarray, FrameResult]:
        """The annotated frame and the persons found (smoothed, with track ids and rule verdicts)."""
        if self._is_late(timestamp_s):
            self.dropped += 1
            return self._last_output or (frame_bgr, FrameResult([], (frame_bgr.shape[1], frame_bgr.shape[0])))
        result = self.analyse(frame_bgr, timestamp_s)
        with self.timer.stage("draw"):
            self._last_output = self.draw(frame_bgr, result), result
        return self._last_output

    def analyse(
        self, frame_bgr: np.ndarray, timestamp_s: float, found: list[Person] | None = None
    ) -> FrameResult:
        """The persons in a frame, without drawing nor dropping: timestamps must increase.

        ``process`` is ``analyse`` then ``draw``; a video pipeline may draw in another thread.
        ``found``: what ``find`` gave for this frame, found ahead (in another thread), for a frame the
        detector runs on (``detects``); None: found here.
        """
        self._last_time = timestamp_s
        size = (frame_bgr.shape[1], frame_bgr.shape[0])
        persons = self._detect_or_follow(frame_bgr, timestamp_s, found)
        dead = self.tracker.dead_ids
        for track_id in dead:
            self._anchors.pop(track_id, None)
        self.persons.update(persons, timestamp_s)
        self.persons.forget(dead)
        if self.options.focus != "everyone" or self.options.person is not None:
            persons = self._focus(persons, size, dead)
        with self.timer.stage("smooth"):
            persons = self.sides.apply(persons)  # left/right swaps repaired before any filter sees them
            self.sides.forget(dead)
            if self.bones is not None:
                persons = self.bones.apply(persons)
                self.bones.forget(dead)
            persons = self.smoother.apply(persons, timestamp_s)
            self.smoother.forget(dead)
        if self.rules is not None:
            with self.timer.stage("rules"):
                for track_id, previous_id in self.persons.links:
                    self.rules.link(track_id, previous_id)
                persons = [replace(p, rules=self.rules.evaluate(p, timestamp_s)) for p in persons]
                self.rules.forget(dead)
        if self.reps is not None:
            with self.timer.stage("reps"):
                counts = self.reps.update(timestamp_s, persons)
                persons = [
                    replace(p, reps=counts.get(p.track_id)) if p.track_id in counts else p for p in persons
                ]
                self.reps.forget(dead)
        return FrameResult(persons, size)

    def detects(self, index: int) -> bool:
        """Whether the detector runs on the ``index``-th frame analysed (from 0) whatever came before:
        such a frame's persons can be found (``find``) ahead, while earlier frames are analysed."""
        return index % self.options.det_interval == 0

    def find(self, frame_bgr: np.ndarray, timer: StageTimer) -> list[Person]:
        """The persons the detector and keypoint model find in a frame, before tracking: depends on no
        earlier frame, so several frames can be found at once in other threads, each timed by its own
        ``timer``."""
        if self.options.enhance:
            with timer.stage("enhance"):
                frame_bgr = enhance_dark(frame_bgr)
        with timer.stage("pose"):
            return self.model.predict(frame_bgr, self.options.det_threshold, self.options.flip).persons

    def draw(self, frame_bgr: np.ndarray, result: FrameResult) -> np.ndarray:
        """A copy of the frame with the result drawn as ``draw_options`` say."""
        return draw_result(frame_bgr, result, self.draw_options)

    def _focus(self, persons: list[Person], image_size: tuple[int, int], dead: list[int]) -> list[Person]:
        """The main person only: the one asked for (``options.person``), else chosen when no one is
        followed (or its track ended); then followed, also into a new track that continues them
        (``PersonLinker``)."""
        self._main = next((new for new, previous in self.persons.links if previous == self._main), self._main)
        if self.options.person is None and (self._main is None or self._main in dead):
            tracked = [p for p in persons if p.track_id is not None]
            self._main = next(
                (p.track_id for p in focus_persons(tracked, image_size, self.options.focus)), None
            )
        return [p for p in persons if p.track_id is not None and p.track_id == self._main]

    def _is_late(self, timestamp_s: float) -> bool:
        if timestamp_s <= self._last_time:
            return True
        if self.max_latency_s is None:
            return False
        delay = self.clock() - timestamp_s
        self._min_delay = min(self._min_delay, delay)
        return delay - self._min_delay > self.max_latency_s

    def _detect_or_follow(
        self, frame_bgr: np.ndarray, timestamp_s: float, found: list[Person] | None
    ) -> list[Person]:
        """Persons with track ids: detected (or ``found`` ahead), or followed from the tracks' predicted
        boxes."""
        follow = not self.detects(self._processed)
        if found is not None and follow:
            raise ValueError(f"frame {self._processed} follows the tracks: it cannot be found ahead")
        self._processed += 1
        tracked = self.tracker.predict_boxes(timestamp_s) if follow else []
        if not tracked:
            if found is None:
                found = self.find(frame_bgr, self.timer)
            with self.timer.stage("track"):
                persons = self.tracker.update(found, timestamp_s)
                for p in persons:
                    centre = keypoint_centre(p.keypoints)
                    if p.track_id is not None and centre is not None:
                        self._anchors[p.track_id] = p.box.as_xyxy() - np.tile(centre, 2)
                return persons
        if self.options.enhance:
            with self.timer.stage("enhance"):
                frame_bgr = enhance_dark(frame_bgr)
        with self.timer.stage("pose"):
            boxes = [box for _, box in tracked]
            followed = self.model.predict_with_boxes(frame_bgr, boxes, self.options.flip).persons
        with self.timer.stage("track"):
            persons = [
                replace(p, box=self._reanchor(track_id, p))
                for (track_id, _), p in zip(tracked, followed, strict=True)
                if p.score >= self.model.min_person_score
            ]
            return self.tracker.update(persons, timestamp_s, detected=False)

    def _reanchor(self, track_id: int, person: Person) -> Box:
        """The track's last detected box, moved with the centre of the keypoints' extent.

        The keypoints' extent itself is narrower than a detector box (much so in side view): feeding the
        tracker both kinds of box would make its size estimate swing, and lose the person.
        """
        centre = keypoint_centre(person.keypoints)
        if centre is None or track_id not in self._anchors:
            return person.box
        x1, y1, x2, y2 = self._anchors[track_id] + np.tile(centre, 2)
        return Box(float(x1), float(y1), float(x2), float(y2), person.score)


def keypoint_centre(keypoints: np.ndarray) -> np.ndarray | None:
    """Centre (x, y) of the confident keypoints' extent, None when there are too few."""
    box = box_from_keypoints(keypoints)
    return None if box is None else np.array([box.x1 + box.x2, box.y1 + box.y2]) / 2
