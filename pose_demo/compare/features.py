"""Per-frame pose features that do not depend on where the person is, how large, or which side of the
image they stand on: interior joint angles, segment directions relative to the trunk, and the trunk's
lean. Pure numpy; joints not seen (score below ``MIN_KEYPOINT_SCORE``) give NaN angles."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pose_demo.results import MIN_KEYPOINT_SCORE
from pose_demo.skeleton import COCO17


@dataclass(frozen=True)
class Angle:
    """One feature angle, in degrees. ``points``: three keypoints (the interior angle at the middle one,
    0..180, unsigned) or two (the direction of that segment relative to the trunk, -180..180, signed:
    its sign flips with the image). ``mirror_of``: the feature on the other side of the body."""

    name: str
    points: tuple[str, ...]
    mirror_of: str

    @property
    def signed(self) -> bool:
        return len(self.points) == 2


def _sided(name: str, points: tuple[str, ...]) -> list[Angle]:
    """The left and right versions of a feature named with ``{side}``."""
    pair = [("left", "right"), ("right", "left")]
    return [
        Angle(name.format(side=a), tuple(p.format(side=a) for p in points), name.format(side=b))
        for a, b in pair
    ]


# The joint angles reported to the user (and used for alignment).
JOINT_ANGLES: tuple[Angle, ...] = (
    *_sided("{side}_elbow", ("{side}_shoulder", "{side}_elbow", "{side}_wrist")),
    *_sided("{side}_shoulder", ("{side}_hip", "{side}_shoulder", "{side}_elbow")),
    *_sided("{side}_hip", ("{side}_shoulder", "{side}_hip", "{side}_knee")),
    *_sided("{side}_knee", ("{side}_hip", "{side}_knee", "{side}_ankle")),
)
# Segment directions relative to the trunk (mid-hip -> mid-shoulder), used for alignment only.
SEGMENT_ANGLES: tuple[Angle, ...] = (
    *_sided("{side}_upper_arm", ("{side}_shoulder", "{side}_elbow")),
    *_sided("{side}_forearm", ("{side}_elbow", "{side}_wrist")),
    *_sided("{side}_thigh", ("{side}_hip", "{side}_knee")),
    *_sided("{side}_shank", ("{side}_knee", "{side}_ankle")),
)
TRUNK = "trunk"  # the trunk's lean from the image's vertical: signed for alignment, unsigned when reported
FEATURES: tuple[str, ...] = (*(a.name for a in JOINT_ANGLES), *(a.name for a in SEGMENT_ANGLES), TRUNK)
REPORTED: tuple[str, ...] = (*(a.name for a in JOINT_ANGLES), TRUNK)
# An angle seen in less than this share of the frames where the person is seen is not measurable in a clip:
# a joint hidden most of the time gives a few guesses, not a measure.
MEASURABLE_SHARE = 0.5


def _points(keypoints: np.ndarray, name: str) -> np.ndarray:
    """(N, 2) positions of one keypoint, NaN where it was not seen."""
    k = keypoints[:, COCO17.index(name)]
    return np.where((k[:, 2] >= MIN_KEYPOINT_SCORE)[:, None], k[:, :2], np.nan)


def _signed_angle(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Degrees from vectors u to v, (N, 2) each, -180..180."""
    cross = u[:, 0] * v[:, 1] - u[:, 1] * v[:, 0]
    dot = (u * v).sum(axis=1)
    return np.degrees(np.arctan2(cross, dot))


def _midpoint(keypoints: np.ndarray, a: str, b: str) -> np.ndarray:
    return (_points(keypoints, a) + _points(keypoints, b)) / 2


def pose_angles(keypoints: np.ndarray, mirror: bool = False) -> np.ndarray:
    """The ``FEATURES`` angles (N, len(FEATURES)) in degrees of keypoints (N, 17, 3); NaN where a joint
    they need was not seen. ``mirror``: as the mirror image would give (left and right swapped, signed
    angles negated), to compare with someone filmed mirrored."""
    keypoints = np.asarray(keypoints, dtype=np.float64)
    hips = _midpoint(keypoints, "left_hip", "right_hip")
    trunk = _midpoint(keypoints, "left_shoulder", "right_shoulder") - hips
    columns = {}
    for angle in JOINT_ANGLES:
        a, b, c = (_points(keypoints, p) for p in angle.points)
        columns[angle.name] = np.abs(_signed_angle(a - b, c - b))
    for angle in SEGMENT_ANGLES:
        a, b = (_points(keypoints, p) for p in angle.points)
        columns[angle.name] = _signed_angle(trunk, b - a)
    up = np.broadcast_to(np.array([0.0, -1.0]), trunk.shape)
    columns[TRUNK] = _signed_angle(up, trunk)
    if mirror:
        by_name = {a.name: a for a in (*JOINT_ANGLES, *SEGMENT_ANGLES)}
        columns = {
            name: (columns[by_name[name].mirror_of] if name in by_name else columns[name])
            * (-1 if name == TRUNK or (name in by_name and by_name[name].signed) else 1)
            for name in FEATURES
        }
    return np.stack([columns[name] for name in FEATURES], axis=1)


def reported_angles(angles: np.ndarray) -> np.ndarray:
    """The ``REPORTED`` columns of ``pose_angles``: joint angles, and the trunk's lean unsigned."""
    out = angles[:, [FEATURES.index(name) for name in REPORTED]].copy()
    out[:, -1] = np.abs(out[:, -1])
    return out


def measurable(angles: np.ndarray) -> np.ndarray:
    """Per column of angles (N, K): whether it is seen in at least ``MEASURABLE_SHARE`` of the frames where
    any of them is seen."""
    seen = ~np.isnan(angles)
    frames = seen.any(axis=1)
    return seen[frames].mean(axis=0) >= MEASURABLE_SHARE if frames.any() else np.zeros(angles.shape[1], bool)


def angle_difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a - b in degrees, wrapped to -180..180 (NaN where either is NaN)."""
    return (a - b + 180.0) % 360.0 - 180.0


def fill_gaps(angles: np.ndarray) -> np.ndarray:
    """Each column's NaNs filled by linear interpolation over time (the nearest value at the ends); all-NaN
    columns stay NaN. For the alignment, which needs values everywhere."""
    out = angles.copy()
    frames = np.arange(len(angles))
    for column in out.T:
        seen = ~np.isnan(column)
        if seen.any() and not seen.all():
            column[~seen] = np.interp(frames[~seen], frames[seen], column[seen])
    return out


def embed(angles: np.ndarray) -> np.ndarray:
    """Angles (N, K) in degrees as points (N, 2K): (cos, sin) of each, scaled by 1/sqrt(K), so that the
    squared distance of two frames is the mean over angles of the squared chord (about the squared
    difference in radians for small differences), and wrapping around 180 degrees costs nothing."""
    radians = np.radians(angles)
    k = angles.shape[1]
    return np.concatenate([np.cos(radians), np.sin(radians)], axis=1) / np.sqrt(k)
