"""One person's keypoints as features a classifier can learn from, whatever the person's position and size.

Positions are centred on the mid-hip and divided by the body scale (the torso, see
``geometry.body_scale``); angles are the rule geometry's; a few distances are in torsos. Joints not
seen (score below ``MIN_KEYPOINT_SCORE``) give NaN, which XGBoost handles as "missing": nothing is guessed.
``mirror_keypoints`` swaps left and right (and image x) to add mirrored copies for symmetric postures.

The features are versioned (``FEATURE_VERSION``): a saved classifier names the version it was trained on,
and one trained on other features is refused rather than fed columns it does not know.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from pose_demo.geometry import (
    body_scale,
    distance_ratio,
    joint_angle,
    point,
    relative_position,
    segment_angle,
)
from pose_demo.results import MIN_KEYPOINT_SCORE
from pose_demo.skeleton import COCO17

FEATURE_VERSION = "pose-demo-keypoint-features/1"

Feature = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (keypoints (N, 17, 3), scale (N,)) -> (N,)


@dataclass(frozen=True)
class FeatureSpec:
    """The features, in column order: ``names`` (identifiers, as saved in a model file) and ``titles``
    (the same in words, for reports), under ``version``."""

    version: str
    names: tuple[str, ...]
    titles: tuple[str, ...]

    def __post_init__(self) -> None:
        if len(self.names) != len(self.titles) or len(set(self.names)) != len(self.names):
            raise ValueError("feature names must be unique and have one title each")

    def title(self, name: str) -> str:
        return self.titles[self.names.index(name)]

    def to_dict(self) -> dict[str, object]:
        return {"version": self.version, "names": list(self.names)}


def _angle(a: str, vertex: str, c: str) -> Feature:
    return lambda k, s: joint_angle(point(k, a), point(k, vertex), point(k, c))


def _above(a: str, b: str) -> Feature:
    """How far a is above b, in torsos."""
    return lambda k, s: relative_position(point(k, a), point(k, b), s, "y")


def _apart(a: str, b: str) -> Feature:
    return lambda k, s: distance_ratio(point(k, a), point(k, b), s)


def _trunk_lean(k: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Degrees from vertical, unsigned: a lean to the image left or right is the same lean."""
    return np.abs(segment_angle(point(k, "mid_hip"), point(k, "neck"), "vertical"))


def _tilt(left: str, right: str) -> Feature:
    """Degrees: positive when the left point is higher than the right."""
    return lambda k, s: segment_angle(point(k, right), point(k, left), "horizontal")


def _both(
    name: str, title: str, make: Callable[..., Feature], *points: str
) -> list[tuple[str, str, Feature]]:
    """The left and right versions of a feature: ``{side}`` in the name, title and points."""
    return [
        (name.format(side=s), title.format(side=s), make(*(p.format(side=s) for p in points)))
        for s in ("left", "right")
    ]


# (name, title, function): geometry first, then every keypoint's position from the hips.
_GEOMETRY: list[tuple[str, str, Feature]] = [
    *_both(
        "{side}_elbow_angle", "{side} elbow angle", _angle, "{side}_shoulder", "{side}_elbow", "{side}_wrist"
    ),
    *_both(
        "{side}_shoulder_angle",
        "{side} arm from the body",
        _angle,
        "{side}_hip",
        "{side}_shoulder",
        "{side}_elbow",
    ),
    *_both("{side}_hip_angle", "{side} hip angle", _angle, "{side}_shoulder", "{side}_hip", "{side}_knee"),
    *_both("{side}_knee_angle", "{side} knee angle", _angle, "{side}_hip", "{side}_knee", "{side}_ankle"),
    ("trunk_angle", "trunk angle (lean from vertical)", _trunk_lean),
    ("shoulder_tilt", "shoulder line tilt (left higher: positive)", _tilt("left_shoulder", "right_shoulder")),
    ("hip_tilt", "hip line tilt (left higher: positive)", _tilt("left_hip", "right_hip")),
    (
        "shoulder_height_difference",
        "left shoulder height vs right",
        _above("left_shoulder", "right_shoulder"),
    ),
    ("hip_height_difference", "left hip height vs right", _above("left_hip", "right_hip")),
    *_both(
        "{side}_wrist_above_shoulder",
        "{side} wrist height vs shoulder",
        _above,
        "{side}_wrist",
        "{side}_shoulder",
    ),
    *_both(
        "{side}_elbow_above_shoulder",
        "{side} elbow height vs shoulder",
        _above,
        "{side}_elbow",
        "{side}_shoulder",
    ),
    *_both("{side}_knee_above_hip", "{side} knee height vs hip", _above, "{side}_knee", "{side}_hip"),
    ("hips_above_ankles", "hip height above the ankles", _above("mid_hip", "mid_ankle")),
    ("head_above_neck", "head height above the shoulders", _above("nose", "neck")),
    ("wrists_apart", "distance between the wrists", _apart("left_wrist", "right_wrist")),
    ("ankles_apart", "distance between the ankles", _apart("left_ankle", "right_ankle")),
    ("knees_apart", "distance between the knees", _apart("left_knee", "right_knee")),
    *_both("{side}_wrist_to_hip", "{side} wrist to hip distance", _apart, "{side}_wrist", "{side}_hip"),
]


def _position_features() -> list[tuple[str, str]]:
    names = []
    for kp in COCO17.keypoints:
        words = kp.replace("_", " ")
        names += [(f"{kp}_x", f"{words}, right of the hips"), (f"{kp}_y", f"{words}, above the hips")]
    return names


FEATURES = FeatureSpec(
    FEATURE_VERSION,
    tuple(n for n, _, _ in _GEOMETRY) + tuple(n for n, _ in _position_features()),
    tuple(t for _, t, _ in _GEOMETRY) + tuple(t for _, t in _position_features()),
)


def _positions(keypoints: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """(N, 34): each keypoint's (x to the image right, y up) from the mid-hip in torsos; NaN when that
    keypoint or a hip is not seen."""
    hip = point(keypoints, "mid_hip")
    offset = (keypoints[..., :2] - hip[:, None, :2]) / np.where(scale > 0, scale, np.nan)[:, None, None]
    offset[..., 1] *= -1.0
    seen = (keypoints[..., 2] >= MIN_KEYPOINT_SCORE) & (hip[:, None, 2] >= MIN_KEYPOINT_SCORE)
    return np.where(seen[..., None], offset, np.nan).reshape(len(keypoints), -1)


def keypoint_features(keypoints: np.ndarray) -> np.ndarray:
    """(N, len(FEATURES.names)) float32 features of keypoints (N, 17, 3) (or one person's (17, 3): (1, F));
    NaN where a joint a feature needs was not seen, every feature NaN when the body scale is unknown."""
    kps = np.asarray(keypoints, dtype=np.float64)
    if kps.ndim == 2:
        kps = kps[None]
    if kps.ndim != 3 or kps.shape[1:] != (len(COCO17.keypoints), 3):
        raise ValueError(f"keypoints must be (N, {len(COCO17.keypoints)}, 3), not {np.shape(keypoints)}")
    scale = body_scale(kps)
    columns = [np.asarray(f(kps, scale), dtype=np.float64) for _, _, f in _GEOMETRY]
    features = np.concatenate([np.stack(columns, axis=1), _positions(kps, scale)], axis=1)
    features[np.isnan(scale)] = np.nan
    return features.astype(np.float32)


def mirror_keypoints(keypoints: np.ndarray) -> np.ndarray:
    """The keypoints of the mirror image: left and right swapped, x negated (positions are relative, so the
    image width does not matter)."""
    kps = np.array(keypoints, dtype=np.float64)[..., COCO17.flip_index, :]
    kps[..., 0] *= -1.0
    return kps


def usable(features: np.ndarray) -> np.ndarray:
    """(N,) whether a row has anything to classify on (the body scale and at least a quarter of the
    features known)."""
    return np.mean(~np.isnan(features), axis=1) >= 0.25
