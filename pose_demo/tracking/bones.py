"""Joints that stay put: a track's limb bones hardly change length between frames (pure numpy, plus a small
per-track keeper for streams).

Each limb bone (upper arm, forearm, thigh, shin, both sides) is compared with its own running median: the
median of its lengths over the track's previous ``window`` frames. A bone more than ``tolerance`` off it (by
ratio, either way) is an outlier: its far joint (elbow, wrist, knee, ankle) is put back where it was relative
to the near one in the last frame the bone was in line, turned as much as the parent segment turned since
(the upper arm for a forearm, the trunk's side for an upper arm), so that the joint angle is kept: a wrist
jumping to the back returns to the forearm. That frame must be at most ``max_run`` frames back: a length
that changes for good (a limb turning towards the camera) is held for at most ``max_run`` frames, then
taken as it is, while the median follows it. Upper bones are repaired first, so that a forearm is judged
from its repaired elbow.

``repair_track`` works on a whole track at once; ``BoneKeeper`` applies it per track in ``PoseStream`` as
frames arrive (beside the smoothing, before it), with the same result for each frame: frame i depends on the
track's frames i - ``BoneOptions.history`` to i only.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from pose_demo.results import MIN_KEYPOINT_SCORE, Person
from pose_demo.skeleton import COCO17


def _limbs(*names: tuple[str, str, str]) -> tuple[tuple[int, int, int], ...]:
    index = COCO17.keypoints.index
    return tuple(
        tuple(index(f"{side}_{n}") for n in triple) for side in ("left", "right") for triple in names
    )


# (anchor, near joint, far joint) keypoint indices: a bone runs from its near joint to its far one, and turns
# with its parent segment, from the anchor to the near joint
UPPER_LIMBS = _limbs(("hip", "shoulder", "elbow"), ("shoulder", "hip", "knee"))  # upper arms, thighs
LOWER_LIMBS = _limbs(("shoulder", "elbow", "wrist"), ("hip", "knee", "ankle"))  # forearms, shins
BONES = tuple((near, far) for _, near, far in UPPER_LIMBS + LOWER_LIMBS)  # left arm, left leg, right ...


@dataclass(frozen=True)
class BoneOptions:
    """How bones are judged; checked on construction (ValueError).

    window: the previous frames of the track whose median length a bone is judged against.
    min_seen: frames of the window in which the bone must have been seen for it to be judged.
    tolerance: an outlier is longer than (1 + tolerance) times its median, or shorter than
        1 / (1 + tolerance).
    max_run: an outlier is repaired only if the bone was in line at most this many frames before.
    min_score: joints scoring below this are not seen (not judged, not used).
    """

    window: int = 15
    min_seen: int = 5
    tolerance: float = 0.35
    max_run: int = 1
    min_score: float = MIN_KEYPOINT_SCORE

    def __post_init__(self) -> None:
        if not 1 <= self.min_seen <= self.window:
            raise ValueError(f"min_seen must be 1 to window ({self.window}), not {self.min_seen}")
        if not 1 <= self.max_run <= self.window:
            raise ValueError(f"max_run must be 1 to window ({self.window}), not {self.max_run}")
        if not self.tolerance > 0:
            raise ValueError(f"tolerance must be positive, not {self.tolerance}")
        if not 0 <= self.min_score <= 1:
            raise ValueError(f"min_score must be 0 to 1, not {self.min_score}")

    @property
    def history(self) -> int:
        """Earlier frames a frame's result depends on: its window, and the frames that window's own
        judgements (up to ``max_run`` back, for each of the two levels of bones) depend on."""
        return self.window + 2 * self.max_run


def bone_lengths(
    keypoints: np.ndarray,
    min_score: float = MIN_KEYPOINT_SCORE,
    bones: Sequence[tuple[int, int]] = BONES,
) -> np.ndarray:
    """(..., 17, 3) keypoints -> (..., B) lengths of ``bones`` in pixels; NaN where an end is not seen."""
    near, far = (np.array(ends) for ends in zip(*bones, strict=True))
    kps = np.asarray(keypoints, np.float64)
    length = np.linalg.norm(kps[..., far, :2] - kps[..., near, :2], axis=-1)
    seen = (kps[..., near, 2] >= min_score) & (kps[..., far, 2] >= min_score)
    return np.where(seen, length, np.nan)


def running_median(values: np.ndarray, window: int, min_seen: int) -> np.ndarray:
    """(N, B) -> (N, B): at each frame, the median of the ``window`` frames before it (NaN ignored); NaN
    where fewer than ``min_seen`` of them are known."""
    n, b = values.shape
    padded = np.concatenate([np.full((window, b), np.nan), values[:-1]])
    past = np.sort(np.lib.stride_tricks.sliding_window_view(padded, window, axis=0)[:n], axis=-1)  # NaN last
    known = np.count_nonzero(~np.isnan(past), axis=-1)
    low = np.take_along_axis(past, np.maximum(known - 1, 0)[..., None] // 2, axis=-1)[..., 0]
    high = np.take_along_axis(past, (known // 2)[..., None], axis=-1)[..., 0]
    return np.where(known >= min_seen, (low + high) / 2, np.nan)


def _last_true(flags: np.ndarray) -> np.ndarray:
    """(N, B) -> (N, B): the last frame up to each one (itself included) where ``flags`` held; -1 if none."""
    frames = np.arange(len(flags))[:, None]
    return np.maximum.accumulate(np.where(flags, frames, -1), axis=0)


def _turn(
    keypoints: np.ndarray,
    anchor: np.ndarray,
    near: np.ndarray,
    then: np.ndarray,
    now: np.ndarray,
    min_score: float,
) -> np.ndarray:
    """How far (radians) each parent segment, from ``anchor`` to ``near`` joint, turned from frame ``then``
    to frame ``now``; 0 where it is not seen in both."""

    def direction(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        segment = keypoints[frames, near, :2] - keypoints[frames, anchor, :2]
        seen = (keypoints[frames, near, 2] >= min_score) & (keypoints[frames, anchor, 2] >= min_score)
        return np.arctan2(segment[:, 1], segment[:, 0]), seen

    (before, seen_before), (after, seen_after) = direction(then), direction(now)
    return np.where(seen_before & seen_after, after - before, 0.0)


def repair_track(
    keypoints: np.ndarray, options: BoneOptions = BoneOptions()
) -> tuple[np.ndarray, np.ndarray]:
    """A track's keypoints (N, 17, 3), frame by frame in time, with bone-length outliers repaired (see the
    module docstring), and which joints were moved (N, 17). Scores are kept."""
    raw = np.asarray(keypoints, np.float64)
    out = raw.copy()
    moved = np.zeros(raw.shape[:2], dtype=bool)
    median = running_median(bone_lengths(raw, options.min_score), options.window, options.min_seen)
    frames = np.arange(len(raw))[:, None]
    limit = 1 + options.tolerance
    for level, limbs in (
        (slice(0, len(UPPER_LIMBS)), UPPER_LIMBS),
        (slice(len(UPPER_LIMBS), None), LOWER_LIMBS),
    ):
        anchor, near, far = (np.array(joints) for joints in zip(*limbs, strict=True))
        ratio = bone_lengths(out, options.min_score, [(n, f) for _, n, f in limbs]) / median[:, level]
        outlier = (ratio > limit) | (ratio < 1 / limit)
        in_line = ~np.isnan(ratio) & ~outlier
        before = np.full((1, len(limbs)), -1)
        last = np.concatenate([before, _last_true(in_line)[:-1]])  # in line before each frame
        fix = outlier & (last >= 0) & (frames - last <= options.max_run)
        rows, cols = np.nonzero(fix)
        then = last[rows, cols]
        offset = out[then, far[cols], :2] - out[then, near[cols], :2]
        turn = _turn(out, anchor[cols], near[cols], then, rows, options.min_score)
        cos, sin = np.cos(turn), np.sin(turn)
        offset = np.stack(
            [cos * offset[:, 0] - sin * offset[:, 1], sin * offset[:, 0] + cos * offset[:, 1]], 1
        )
        out[rows, far[cols], :2] = out[rows, near[cols], :2] + offset
        moved[rows, far[cols]] = True
    return out, moved


def bone_variation(keypoints: np.ndarray, min_score: float = MIN_KEYPOINT_SCORE, min_seen: int = 10) -> float:
    """How much a track's bones change length: the coefficient of variation (std / mean) of each bone over
    the frames it is seen in (at least ``min_seen``), the median over the bones; NaN without any."""
    lengths = bone_lengths(keypoints, min_score)
    seen = np.count_nonzero(~np.isnan(lengths), axis=0) >= max(min_seen, 2)
    if not seen.any():
        return float("nan")
    kept = lengths[:, seen]
    return float(np.median(np.nanstd(kept, axis=0) / np.nanmean(kept, axis=0)))


class BoneKeeper:
    """Bone-length outliers repaired per track as frames arrive (a stream's persons, after the left/right
    repair and before smoothing): each person's keypoints as ``repair_track`` gives them for the last frame
    of its track's recent history. Persons without a track id are left as they are; call ``forget`` with
    the ids of tracks that ended."""

    def __init__(self, options: BoneOptions = BoneOptions()) -> None:
        self.options = options
        self._history: dict[int, deque[np.ndarray]] = {}

    def apply(self, persons: Sequence[Person]) -> list[Person]:
        out = []
        for person in persons:
            if person.track_id is None:
                out.append(person)
                continue
            history = self._history.setdefault(person.track_id, deque(maxlen=self.options.history + 1))
            history.append(person.keypoints)
            repaired, moved = repair_track(np.stack(history), self.options)
            if moved[-1].any():
                person = replace(person, keypoints=repaired[-1].astype(person.keypoints.dtype))
            out.append(person)
        return out

    def forget(self, track_ids: Iterable[int]) -> None:
        for track_id in track_ids:
            self._history.pop(track_id, None)
