"""SORT-style multi-person tracker: a constant-velocity Kalman filter per box, Hungarian matching on IoU.

Follows SORT (Bewley et al., 2016): the box state is (cx, cy, area, aspect) plus the velocities of the
first three, with SORT's noise settings. Time comes from real timestamps: the filters predict over
``(t - t_prev) / frame_time`` steps, so SORT's per-frame noise tuning holds at any frame rate.

Track life cycle:

- a detection that matches no track starts a *tentative* track; it is confirmed (and gets an id) after
  ``min_hits`` consecutive detection-frame hits, or at once during the first ``min_hits`` detection
  frames of the video (as SORT reports tracks there); a tentative track dies on its first miss;
- a confirmed track survives up to ``max_age`` consecutive misses, then dies; its id is listed in
  ``dead_ids`` after that ``update`` so smoothers and rule debouncers can drop their state.

``update`` returns the input persons, in input order, as new ``Person`` objects: those matched to a
confirmed track carry its ``track_id``; the others (tentative tracks, one-off detections) keep
``track_id=None``. Ids are consecutive (1, 2, ...) and given only at confirmation.

Duplicates are dropped first: the detector sometimes finds one person twice, in two boxes that overlap
less than its non-maximum suppression needs (a man doing push-ups, in a box with and without his raised
shoulders), and the keypoint model then finds the same pose in both. Such a second box would start a track
of its own that, once confirmed, competes with the person's track for his detections: the person's frames
(and his repetitions) would be split between two ids. Of two persons whose poses coincide
(``pose_distance`` below ``DUPLICATE_POSE_DISTANCE``), the one that overlaps a confirmed track most is kept
(then the higher score).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from pose_demo.results import MIN_KEYPOINT_SCORE, Box, Person

if TYPE_CHECKING:
    from filterpy.kalman import KalmanFilter


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every box in ``a`` (N, 4) with every box in ``b`` (M, 4), both as x1, y1, x2, y2."""
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(rb - lt, 0.0, None), axis=2)
    area_a = np.prod(np.clip(a[:, 2:] - a[:, :2], 0.0, None), axis=1)
    area_b = np.prod(np.clip(b[:, 2:] - b[:, :2], 0.0, None), axis=1)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


DUPLICATE_POSE_DISTANCE = 0.1  # median joint distance, per box diagonal, below which two poses are one
MIN_SHARED_JOINTS = 5  # joints confident in both poses needed to call them one


def pose_distance(a: Person, b: Person, score_thr: float = MIN_KEYPOINT_SCORE) -> float:
    """The median distance between the joints confident in both persons, per the larger box's diagonal.

    About 0.03 for one person found twice from two boxes; inf when fewer than ``MIN_SHARED_JOINTS`` joints
    are confident in both (then they cannot be told to be one).
    """
    shared = (a.keypoints[:, 2] >= score_thr) & (b.keypoints[:, 2] >= score_thr)
    if np.count_nonzero(shared) < MIN_SHARED_JOINTS:
        return np.inf
    distances = np.linalg.norm(a.keypoints[shared, :2] - b.keypoints[shared, :2], axis=1)
    diagonal = max(np.hypot(a.box.width, a.box.height), np.hypot(b.box.width, b.box.height), 1e-6)
    return float(np.median(distances) / diagonal)


def distinct_persons(persons: list[Person], preference: np.ndarray) -> list[int]:
    """Indices (ascending) of the persons kept when duplicates are dropped: persons are taken by
    ``preference`` (higher first, then higher score) and one whose pose coincides with a person already
    kept is dropped."""
    order = sorted(range(len(persons)), key=lambda i: (-preference[i], -persons[i].score, i))
    kept: list[int] = []
    for i in order:
        if all(pose_distance(persons[i], persons[k]) >= DUPLICATE_POSE_DISTANCE for k in kept):
            kept.append(i)
    return sorted(kept)


def box_from_keypoints(
    keypoints: np.ndarray, score_thr: float = MIN_KEYPOINT_SCORE, pad: float = 0.1
) -> Box | None:
    """The extent of the keypoints scoring at least ``score_thr``, padded by ``pad`` x its size per side.

    Used to re-anchor a track's box on frames where detection is skipped. Returns None when fewer than
    three keypoints are confident or their extent is degenerate. The box score is their mean score.
    """
    good = keypoints[keypoints[:, 2] >= score_thr]
    if len(good) < 3:
        return None
    (x1, y1), (x2, y2) = good[:, :2].min(axis=0), good[:, :2].max(axis=0)
    w, h = x2 - x1, y2 - y1
    if w <= 0 or h <= 0:
        return None
    return Box(
        float(x1 - pad * w),
        float(y1 - pad * h),
        float(x2 + pad * w),
        float(y2 + pad * h),
        float(good[:, 2].mean()),
    )


def _xyxy(persons: list[Person]) -> np.ndarray:
    return np.array([p.box.as_xyxy() for p in persons], dtype=np.float64).reshape(-1, 4)


def _box_to_z(box: Box) -> np.ndarray:
    w, h = max(box.width, 1e-3), max(box.height, 1e-3)
    return np.array([box.x1 + w / 2, box.y1 + h / 2, w * h, w / h])


def _x_to_box(x: np.ndarray) -> Box:
    cx, cy, area, aspect = x[:4]
    w = np.sqrt(max(area * aspect, 1e-6))
    h = max(area, 1e-6) / w
    return Box(float(cx - w / 2), float(cy - h / 2), float(cx + w / 2), float(cy + h / 2))


def _new_filter(box: Box) -> KalmanFilter:
    """SORT's box filter: state (cx, cy, area, aspect, vcx, vcy, varea), measurement the first four."""
    from filterpy.kalman import KalmanFilter  # filterpy imports scipy.stats (~1-2 s): load it on first use

    kf = KalmanFilter(dim_x=7, dim_z=4)
    kf.F = np.eye(7) + np.eye(7, k=4)
    kf.H = np.eye(4, 7)
    kf.R[2:, 2:] *= 10.0
    kf.P[4:, 4:] *= 1000.0  # unobserved initial velocities
    kf.P *= 10.0
    kf.Q[-1, -1] *= 0.01
    kf.Q[4:, 4:] *= 0.01
    kf.x[:4, 0] = _box_to_z(box)
    return kf


@dataclass
class _Track:
    kf: KalmanFilter
    time: float
    hits: int = 1
    misses: int = 0
    track_id: int | None = None

    def advance(self, timestamp: float, frame_time: float) -> None:
        steps = (timestamp - self.time) / frame_time
        if steps <= 0:
            return
        x = self.kf.x[:, 0]
        if x[2] + steps * x[6] <= 0:  # the area would turn negative: stop shrinking
            x[6] = 0.0
        f = np.eye(7) + steps * np.eye(7, k=4)
        self.kf.predict(F=f, Q=self.kf.Q * steps)
        self.time = timestamp

    @property
    def box(self) -> Box:
        return _x_to_box(self.kf.x[:, 0])


class Tracker:
    """Assigns stable ``track_id`` values to persons across frames (see the module docstring).

    iou_threshold: minimum IoU between a track's predicted box and a detection to match them.
    min_hits: consecutive detection-frame hits before a tentative track is confirmed.
    max_age: consecutive misses after which a confirmed track dies.
    frame_time: seconds per filter step (SORT's noise settings are per frame at about 30 fps).
    """

    def __init__(
        self, iou_threshold: float = 0.3, min_hits: int = 3, max_age: int = 30, frame_time: float = 1 / 30
    ) -> None:
        self.iou_threshold = iou_threshold
        self.min_hits = min_hits
        self.max_age = max_age
        self.frame_time = frame_time
        self.dead_ids: list[int] = []
        self._tracks: list[_Track] = []
        self._next_id = 1
        self._detection_frames = 0

    def predict_boxes(self, timestamp: float) -> list[tuple[int, Box]]:
        """Boxes predicted at ``timestamp`` for frames where detection is skipped.

        Only confirmed tracks matched in the last update are given: a track that lost its person waits for
        the next detection, so that keypoints found on background cannot keep it alive. Crop keypoints
        from these boxes, re-anchor each box with ``box_from_keypoints`` and pass the persons to
        ``update(..., detected=False)`` at the same timestamp.
        """
        self._advance(timestamp)
        return [(t.track_id, t.box) for t in self._tracks if t.track_id is not None and t.misses == 0]

    def update(self, persons: list[Person], timestamp: float, detected: bool = True) -> list[Person]:
        """Match ``persons`` to the tracks at ``timestamp`` and return them, duplicates dropped, with their
        track ids.

        ``detected=False`` marks persons re-anchored from ``predict_boxes``: then only confirmed tracks
        take part, tentative ones are left as they are, and unmatched persons start no track.
        """
        self._advance(timestamp)
        self.dead_ids = []
        if detected:
            self._detection_frames += 1
        tracks = [t for t in self._tracks if detected or t.track_id is not None]
        trk_boxes = np.array([t.box.as_xyxy() for t in tracks], dtype=np.float64).reshape(-1, 4)
        if len(persons) > 1:
            confirmed = trk_boxes[[t.track_id is not None for t in tracks]]
            overlap = iou_matrix(confirmed, _xyxy(persons)).max(axis=0, initial=0.0)
            persons = [persons[i] for i in distinct_persons(persons, overlap)]
        det_boxes = _xyxy(persons)
        iou = iou_matrix(trk_boxes, det_boxes)
        from scipy.optimize import linear_sum_assignment  # ~0.7 s to import: on first use, like filterpy

        rows, cols = linear_sum_assignment(-iou)
        matched = {c: tracks[r] for r, c in zip(rows, cols, strict=True) if iou[r, c] >= self.iou_threshold}

        for track in tracks:
            track.misses += 1
        for det, track in matched.items():
            track.kf.update(_box_to_z(persons[det].box))
            track.hits += 1
            track.misses = 0
        if detected:
            for d, person in enumerate(persons):
                if d not in matched:
                    matched[d] = _Track(_new_filter(person.box), timestamp)
                    self._tracks.append(matched[d])
        early = self._detection_frames <= self.min_hits
        for track in matched.values():
            if track.track_id is None and (track.hits >= self.min_hits or early):
                track.track_id = self._next_id
                self._next_id += 1
        self._remove_dead()
        return [
            replace(p, track_id=matched[d].track_id if d in matched else None) for d, p in enumerate(persons)
        ]

    def _advance(self, timestamp: float) -> None:
        for track in self._tracks:
            track.advance(timestamp, self.frame_time)

    def _remove_dead(self) -> None:
        alive = []
        for track in self._tracks:
            if track.track_id is None and track.misses > 0:
                continue
            if track.track_id is not None and track.misses > self.max_age:
                self.dead_ids.append(track.track_id)
                continue
            alive.append(track)
        self._tracks = alive


# --- one person across track fragments ---------------------------------------------------------------------

LINK_MAX_GAP_S = 3.0  # a track starting at most this long after a person was last seen may continue them ...
LINK_MAX_SHIFT = 0.5  # ... when its first box's centre is within this many box heights of their last box's
LINK_MAX_SIZE_RATIO = 1.6  # ... and its size (square root of the area) within this ratio of that box's


def link_distance(lost: Box, new: Box) -> float | None:
    """How far ``new`` (a track's first box) lies from ``lost`` (a lost person's last box), in box heights,
    when it can be the same person come back (near, of about the same size); None when it cannot."""
    scale = max(lost.height, new.height, 1e-6)
    shift = float(
        np.hypot(new.x1 + new.x2 - lost.x1 - lost.x2, new.y1 + new.y2 - lost.y1 - lost.y2) / 2 / scale
    )
    sizes = np.sqrt([max(lost.width * lost.height, 1e-9), max(new.width * new.height, 1e-9)])
    if shift > LINK_MAX_SHIFT or sizes.max() / sizes.min() > LINK_MAX_SIZE_RATIO:
        return None
    return shift


class PersonLinker:
    """One person across the fragments of their track: a tracker that loses someone (frames dropped under
    load, a low frame rate) gives them a new track id when it finds them again. A track that first appears
    within ``max_gap_s`` of a person's last sighting, near their last box and of about the same size
    (``link_distance``), while that person is seen under no other track, continues that person: it gets
    their *person id* (the id of their first track). The nearest pairs are linked first; two persons seen
    at the same time are never one, so two people side by side stay apart.

    The tracker's matching and its ids are left as they are: the person id is kept apart, for what must
    follow the person (repetition counts, rule histories). Feed ``update`` every frame's tracked persons.
    """

    def __init__(self, max_gap_s: float = LINK_MAX_GAP_S) -> None:
        self.max_gap_s = max_gap_s
        self.links: list[tuple[int, int]] = []  # (new track id, the person's previous track id), last update
        self._person: dict[int, int] = {}  # track id -> person id
        self._last: dict[int, tuple[float, Box, int]] = {}  # person id -> when, where and as which track seen

    @property
    def persons(self) -> dict[int, int]:
        """Every track id seen (and not forgotten) -> its person id."""
        return dict(self._person)

    def remembered(self, person_id: int) -> bool:
        """Whether a new track may still continue this person (seen within ``max_gap_s``)."""
        return person_id in self._last

    def update(self, persons: list[Person], timestamp: float) -> dict[int, int]:
        """The person id of each track id of this frame; new links are listed in ``links``."""
        self.links = []
        tracked = [p for p in persons if p.track_id is not None]
        seen = {self._person[p.track_id] for p in tracked if p.track_id in self._person}
        new = [p for p in tracked if p.track_id not in self._person]
        lost = [
            (person_id, box, track_id)
            for person_id, (time, box, track_id) in self._last.items()
            if person_id not in seen and timestamp - self.max_gap_s <= time < timestamp
        ]
        pairs = sorted(
            (d, i, j)
            for i, p in enumerate(new)
            for j, (_, box, _) in enumerate(lost)
            if (d := link_distance(box, p.box)) is not None
        )
        used_new: set[int] = set()
        used_lost: set[int] = set()
        for _, i, j in pairs:
            if i in used_new or j in used_lost:
                continue
            used_new.add(i)
            used_lost.add(j)
            self._person[new[i].track_id] = lost[j][0]
            self.links.append((new[i].track_id, lost[j][2]))
        for p in new:
            self._person.setdefault(p.track_id, p.track_id)
        now: set[int] = set()
        for p in sorted(tracked, key=lambda p: p.track_id):
            person_id = self._person[p.track_id]
            if person_id in now:  # the person came back under an older track too: the newer one is apart
                person_id = self._person[p.track_id] = p.track_id
            now.add(person_id)
            self._last[person_id] = (timestamp, p.box, p.track_id)
        for person_id in [k for k, (time, _, _) in self._last.items() if time < timestamp - self.max_gap_s]:
            del self._last[person_id]
        return {p.track_id: self._person[p.track_id] for p in tracked}

    def forget(self, track_ids: Iterable[int]) -> None:
        """Drop tracks that ended (their person may still be continued by a new track)."""
        for track_id in track_ids:
            self._person.pop(track_id, None)


def link_tracks(
    frames: Iterable[tuple[float, Sequence[Person]]], max_gap_s: float = LINK_MAX_GAP_S
) -> dict[int, int]:
    """Every track id of a run of frames -> its person id (``PersonLinker`` over the frames in order)."""
    linker = PersonLinker(max_gap_s)
    persons: dict[int, int] = {}
    for timestamp, found in frames:
        persons.update(linker.update(list(found), timestamp))
    return persons
