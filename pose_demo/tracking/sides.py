"""Trustworthy sides and angles within a track (pure numpy, plus a small per-track keeper for streams).

Left/right swaps: in side views the keypoint model sometimes labels the near limbs "left" in one frame and
"right" in the next, which makes every one-sided measure jump. A frame's assignment is compared with the
previous frame's by the cheaper matching of the paired joints: kept as it is (left to left) or swapped
(left to the previous right). It is swapped back only when the swapped matching is clearly the cheaper one
(``SWAP_RATIO``) by a margin larger than keypoint noise (``SWAP_MIN_GAIN`` body units): a real change of
side (a person turning round) happens over several frames, each close to the one before, and is kept.

``SideKeeper`` applies it per track in ``PoseStream``, before smoothing (so that the filters never
average a left joint with a right one).

Angle continuity: signed angles from the vertical live in (-180, 180]; a person upside down (a handstand, a
cartwheel) would jump from 179 to -179 degrees. ``unwrap_degrees`` keeps a series continuous, and
``continue_degrees`` does the same one value at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

import numpy as np

from pose_demo.geometry import body_scale
from pose_demo.results import MIN_KEYPOINT_SCORE, Person
from pose_demo.skeleton import COCO17

SWAP_RATIO = 0.5  # swapped back only when the swapped matching costs less than this fraction of the kept one
SWAP_MIN_GAIN = 0.15  # ... and saves more than this, per joint, in body units (see ``geometry.body_scale``)
MIN_PAIRS = 3  # joint pairs confident in both frames needed to judge


def _side_pairs() -> tuple[tuple[int, int], ...]:
    names = COCO17.keypoints
    return tuple(
        (names.index(n), names.index("right_" + n.removeprefix("left_")))
        for n in names
        if n.startswith("left_")
    )


SIDE_PAIRS = _side_pairs()  # (left, right) keypoint indices of COCO-17
_SWAPPED_ORDER = np.arange(len(COCO17.keypoints))
for _left, _right in SIDE_PAIRS:
    _SWAPPED_ORDER[[_left, _right]] = _right, _left


def swap_sides(keypoints: np.ndarray) -> np.ndarray:
    """The keypoints with every left/right pair exchanged (``(..., 17, 3)``)."""
    return np.asarray(keypoints)[..., _SWAPPED_ORDER, :]


def swap_gain(previous: np.ndarray, current: np.ndarray, min_score: float = MIN_KEYPOINT_SCORE) -> float:
    """How much cheaper, per joint and in body units, matching ``current``'s sides swapped to ``previous``
    is than matching them as they are; NaN when it cannot be judged."""
    kept, swapped, joints = _costs(previous, current, min_score)
    if joints == 0:
        return float("nan")
    scale = float(body_scale(previous[None], min_score)[0])
    if not np.isfinite(scale) or scale <= 0:
        return float("nan")
    return (kept - swapped) / joints / scale


def is_swapped(previous: np.ndarray, current: np.ndarray, min_score: float = MIN_KEYPOINT_SCORE) -> bool:
    """Whether ``current``'s sides are swapped with respect to ``previous`` (two ``(17, 3)`` poses of one
    person): the swapped matching is clearly cheaper (see the module docstring)."""
    kept, swapped, joints = _costs(previous, current, min_score)
    if joints == 0 or swapped >= SWAP_RATIO * kept:
        return False
    return bool(swap_gain(previous, current, min_score) > SWAP_MIN_GAIN)


def _costs(previous: np.ndarray, current: np.ndarray, min_score: float) -> tuple[float, float, int]:
    """Summed joint distances of the kept and the swapped matchings over the pairs confident in both frames
    (both sides of a pair, in both), and how many joints they sum over (0: too few pairs)."""
    left, right = (np.array(side) for side in zip(*SIDE_PAIRS, strict=True))
    good = (
        (previous[left, 2] >= min_score)
        & (previous[right, 2] >= min_score)
        & (current[left, 2] >= min_score)
        & (current[right, 2] >= min_score)
    )
    if np.count_nonzero(good) < MIN_PAIRS:
        return 0.0, 0.0, 0
    left, right = left[good], right[good]
    p, c = previous[:, :2], current[:, :2]

    def dist(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.linalg.norm(a - b, axis=1).sum())

    kept = dist(c[left], p[left]) + dist(c[right], p[right])
    swapped = dist(c[left], p[right]) + dist(c[right], p[left])
    return kept, swapped, 2 * len(left)


def repair_swaps(
    keypoints: np.ndarray, min_score: float = MIN_KEYPOINT_SCORE
) -> tuple[np.ndarray, np.ndarray]:
    """A track's keypoints ``(N, 17, 3)`` (score 0 where unseen) with left/right swaps repaired, and which
    frames were swapped back ``(N,)``. Each frame is compared with the last seen frame as repaired.

    A swap is repaired against the assignment the track held before it. One that starts while the two
    sides coincide in the image (side on, limbs overlapping) cannot be seen there, and does not change
    the measures there either; it shows where the sides part, and the assignment held since is kept.
    """
    repaired = np.array(keypoints, dtype=np.float64, copy=True)
    swapped = np.zeros(len(repaired), dtype=bool)
    previous = None
    for i, pose in enumerate(repaired):
        if not (pose[:, 2] > 0).any():
            continue
        if previous is not None and is_swapped(previous, pose, min_score):
            repaired[i] = swap_sides(pose)
            swapped[i] = True
        previous = repaired[i]
    return repaired, swapped


class SideKeeper:
    """Left/right swaps repaired per track as frames arrive (a stream's persons, before smoothing).

    Persons without a track id are left as they are. Call ``forget`` with the ids of tracks that ended.
    """

    def __init__(self, min_score: float = MIN_KEYPOINT_SCORE) -> None:
        self.min_score = min_score
        self._last: dict[int, np.ndarray] = {}

    def apply(self, persons: Sequence[Person]) -> list[Person]:
        out = []
        for person in persons:
            track_id = person.track_id
            if track_id is None:
                out.append(person)
                continue
            previous = self._last.get(track_id)
            if previous is not None and is_swapped(previous, person.keypoints, self.min_score):
                person = replace(person, keypoints=swap_sides(person.keypoints))
            self._last[track_id] = person.keypoints
            out.append(person)
        return out

    def forget(self, track_ids: Iterable[int]) -> None:
        for track_id in track_ids:
            self._last.pop(track_id, None)


def unwrap_degrees(values: np.ndarray) -> np.ndarray:
    """A series of angles in degrees made continuous: each known value moved by whole turns to within
    180 degrees of the previous known one (NaN stays NaN and does not break the series)."""
    values = np.asarray(values, dtype=np.float64)
    out = values.copy()
    known = ~np.isnan(values)
    if known.any():
        out[known] = np.unwrap(values[known], period=360.0)
    return out


def continue_degrees(previous: float | None, value: float | None) -> float | None:
    """``value`` moved by whole turns to within 180 degrees of ``previous`` (as it is without one)."""
    if previous is None or value is None or not np.isfinite(previous) or not np.isfinite(value):
        return value
    return float(value - 360.0 * np.round((value - previous) / 360.0))
