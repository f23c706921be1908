"""Pure, vectorised geometry on COCO-17 keypoints.

Points are arrays whose last axis is ``(x, y, score)`` in image pixels: one point ``(3,)`` or many
``(..., 3)``; keypoints are ``(17, 3)`` or ``(N, 17, 3)``. Image y grows downward. Every measure is
NaN ("unknown") where a point it needs has a score below ``min_score``: no verdict from guessed joints;
and NaN where its points coincide (closer than ``MIN_LENGTH``) or the body scale is zero: no angle of a
zero-length segment, no 0 or 180 degrees as if measured.

Body-scale units divide a length by the torso (mid-shoulder to mid-hip), or by the shoulder width
times ``SHOULDER_TO_TORSO`` when the hips are not visible, so they do not depend on image size or on
the distance to the camera.
"""

from __future__ import annotations

import warnings

import numpy as np

from pose_demo.results import MIN_KEYPOINT_SCORE
from pose_demo.skeleton import COCO17

SHOULDER_TO_TORSO = 1.3  # an adult torso is about 1.3 shoulder widths long
MIN_LENGTH = 1e-6  # pixels: points closer than this coincide (a segment without length or direction)
UPRIGHT_MAX_TRUNK_LEAN = 45.0  # degrees from vertical (hip to neck)
UPRIGHT_MIN_KNEE_ANGLE = 150.0  # degrees: a straight leg
UPRIGHT_MAX_LEG_TILT = 30.0  # degrees from vertical (hip to ankle): the leg points down

# Points made from keypoints: "mid" averages them (score: the lowest), "best" takes the most confident.
VIRTUAL_POINTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "neck": ("mid", ("left_shoulder", "right_shoulder")),
    "mid_hip": ("mid", ("left_hip", "right_hip")),
    "mid_knee": ("mid", ("left_knee", "right_knee")),
    "mid_ankle": ("mid", ("left_ankle", "right_ankle")),
    "head": ("best", ("nose", "left_eye", "right_eye", "left_ear", "right_ear")),
    "ear": ("best", ("left_ear", "right_ear")),
}
POINT_NAMES: tuple[str, ...] = COCO17.keypoints + tuple(VIRTUAL_POINTS)
# The points whose movement says whether the body moves (arms and head may move while standing still).
MOTION_POINTS = [
    COCO17.index(f"{side}_{j}") for j in ("shoulder", "hip", "knee", "ankle") for side in ("left", "right")
]


def make_keypoints(points: dict[str, tuple[float, float]], score: float = 1.0) -> np.ndarray:
    """(17, 3) keypoints from named (x, y) positions with the given score; missing keypoints get score 0.

    Handy to try a rule on a hand-made skeleton.
    """
    keypoints = np.zeros((len(COCO17.keypoints), 3))
    for name, (x, y) in points.items():
        keypoints[COCO17.index(name)] = (x, y, score)
    return keypoints


def point_indices(name: str) -> tuple[int, ...]:
    """Indices of the keypoints a (virtual) point is made of."""
    if name in VIRTUAL_POINTS:
        return tuple(COCO17.index(n) for n in VIRTUAL_POINTS[name][1])
    return (COCO17.index(name),)


def point(keypoints: np.ndarray, name: str) -> np.ndarray:
    """The ``(..., 3)`` point called ``name`` (a COCO-17 keypoint or one of ``VIRTUAL_POINTS``)."""
    kps = np.asarray(keypoints, dtype=np.float64)
    if name not in VIRTUAL_POINTS:
        return kps[..., COCO17.index(name), :]
    how, _ = VIRTUAL_POINTS[name]
    parts = kps[..., list(point_indices(name)), :]
    if how == "mid":
        return np.concatenate([parts[..., :2].mean(axis=-2), parts[..., 2:].min(axis=-2)], axis=-1)
    best = parts[..., 2].argmax(axis=-1)[..., None, None]
    return np.take_along_axis(parts, best, axis=-2)[..., 0, :]


def _gated(value: np.ndarray, min_score: float, *points: np.ndarray) -> np.ndarray:
    visible = np.logical_and.reduce([np.asarray(p)[..., 2] >= min_score for p in points])
    return np.where(visible, value, np.nan)


def _length(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance a-b in pixels; NaN when the points coincide."""
    length = np.linalg.norm(a[..., :2] - b[..., :2], axis=-1)
    return np.where(length > MIN_LENGTH, length, np.nan)


def _unless_coincide(value: np.ndarray, *pairs: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """``value``, NaN where the two points of any pair coincide."""
    apart = np.logical_and.reduce([~np.isnan(_length(a, b)) for a, b in pairs])
    return np.where(apart, value, np.nan)


def _per_scale(length: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """``length / scale``, NaN when the scale is zero or unknown."""
    scale = np.asarray(scale, dtype=np.float64)
    return length / np.where(scale > MIN_LENGTH, scale, np.nan)


def torso_length(keypoints: np.ndarray, min_score: float = MIN_KEYPOINT_SCORE) -> np.ndarray:
    """Mid-shoulder to mid-hip in pixels; NaN where a shoulder or hip is not seen."""
    neck, hip = point(keypoints, "neck"), point(keypoints, "mid_hip")
    return _gated(_length(neck, hip), min_score, neck, hip)


def body_scale(keypoints: np.ndarray, min_score: float = MIN_KEYPOINT_SCORE) -> np.ndarray:
    """Torso length in pixels; shoulder width x ``SHOULDER_TO_TORSO`` when the torso is not visible
    (or has no length); NaN when neither can be measured."""
    left, right = point(keypoints, "left_shoulder"), point(keypoints, "right_shoulder")
    torso = torso_length(keypoints, min_score)
    shoulders = _gated(_length(left, right), min_score, left, right)
    return np.where(np.isnan(torso), shoulders * SHOULDER_TO_TORSO, torso)


def frontality(keypoints: np.ndarray, min_score: float = MIN_KEYPOINT_SCORE) -> np.ndarray:
    """Horizontal shoulder width over torso length: about 0.6-0.8 facing the camera, near 0 side-on."""
    neck, hip = point(keypoints, "neck"), point(keypoints, "mid_hip")
    left, right = point(keypoints, "left_shoulder"), point(keypoints, "right_shoulder")
    return _gated(np.abs(left[..., 0] - right[..., 0]) / _length(neck, hip), min_score, neck, hip)


def torso_widths(
    keypoints: np.ndarray, min_score: float = MIN_KEYPOINT_SCORE
) -> tuple[np.ndarray, np.ndarray]:
    """Shoulder width and hip width across the torso axis (neck to mid-hip), in torso lengths.

    About 0.55-0.8 and 0.3-0.45 for a person facing the camera (or facing away), near 0 side-on,
    whatever the body's tilt in the image. NaN unless both shoulders and both hips score at least
    ``min_score`` (and the torso has a length).
    """
    neck, hip = point(keypoints, "neck"), point(keypoints, "mid_hip")
    axis = neck[..., :2] - hip[..., :2]
    torso = _length(neck, hip)

    def across(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        d = a[..., :2] - b[..., :2]
        return np.abs(d[..., 0] * axis[..., 1] - d[..., 1] * axis[..., 0]) / torso**2

    kps = np.asarray(keypoints, dtype=np.float64)
    shoulders = across(
        kps[..., COCO17.index("left_shoulder"), :], kps[..., COCO17.index("right_shoulder"), :]
    )
    hips = across(kps[..., COCO17.index("left_hip"), :], kps[..., COCO17.index("right_hip"), :])
    return _gated(shoulders, min_score, neck, hip), _gated(hips, min_score, neck, hip)


def upright(keypoints: np.ndarray, min_score: float = MIN_KEYPOINT_SCORE) -> np.ndarray:
    """Whether the person stands upright: the trunk within ``UPRIGHT_MAX_TRUNK_LEAN`` of vertical, and every
    leg that is seen (hip, knee and ankle) straight (knee at least ``UPRIGHT_MIN_KNEE_ANGLE``) and
    pointing down (hip to ankle within ``UPRIGHT_MAX_LEG_TILT`` of vertical), with at least one leg seen.

    False where it is not known (trunk or both legs not seen): a person whose legs are hidden is not known
    to be standing.
    """
    trunk = segment_angle(point(keypoints, "mid_hip"), point(keypoints, "neck"), "vertical", min_score)
    seen = np.zeros(np.shape(trunk), dtype=bool)  # at least one leg seen
    straight = np.ones(np.shape(trunk), dtype=bool)  # every seen leg straight and pointing down
    for side in ("left", "right"):
        hip, knee, ankle = (point(keypoints, f"{side}_{joint}") for joint in ("hip", "knee", "ankle"))
        knee_angle = joint_angle(hip, knee, ankle, min_score)
        tilt = 180.0 - np.abs(segment_angle(hip, ankle, "vertical", min_score))  # 0: ankle straight below
        leg_seen = ~np.isnan(knee_angle) & ~np.isnan(tilt)
        seen |= leg_seen
        straight &= ~leg_seen | ((knee_angle >= UPRIGHT_MIN_KNEE_ANGLE) & (tilt <= UPRIGHT_MAX_LEG_TILT))
    return (np.abs(trunk) <= UPRIGHT_MAX_TRUNK_LEAN) & seen & straight


def body_motion(past: np.ndarray, current: np.ndarray, min_score: float = MIN_KEYPOINT_SCORE) -> np.ndarray:
    """How far the body moved from each of the ``past`` poses ``(T, 17, 3)`` to ``current`` ``(17, 3)``:
    per past pose, the median distance moved by the shoulders, hips, knees and ankles seen in both
    (the median: one flickering joint does not make a still person move), in body units of ``current``.

    NaN for a past pose sharing none of these points with ``current``, or when the body scale is unknown.
    """
    past, current = np.asarray(past, dtype=np.float64), np.asarray(current, dtype=np.float64)
    moved = np.linalg.norm(past[..., MOTION_POINTS, :2] - current[MOTION_POINTS, :2], axis=-1)
    seen = (past[..., MOTION_POINTS, 2] >= min_score) & (current[MOTION_POINTS, 2] >= min_score)
    moved = np.where(seen, moved, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a past pose sharing no point: NaN, said above
        typical = np.nanmedian(moved, axis=-1)
    return _per_scale(typical, body_scale(current, min_score))


def segment_angle(
    a: np.ndarray, b: np.ndarray, reference: str = "horizontal", min_score: float = MIN_KEYPOINT_SCORE
) -> np.ndarray:
    """Signed angle of the line a->b in degrees.

    ``horizontal``: elevation of b seen from a, in [-90, 90], positive when b is higher than a
    (whichever side b is on, so a person facing away gives the same tilt).
    ``vertical``: angle from "b straight above a", in (-180, 180], positive when b leans to the
    image right.
    """
    dx, dy = b[..., 0] - a[..., 0], b[..., 1] - a[..., 1]
    if reference == "horizontal":
        angle = np.degrees(np.arctan2(-dy, np.abs(dx)))
    elif reference == "vertical":
        angle = np.degrees(np.arctan2(dx, -dy))
    else:
        raise ValueError(f"reference must be 'horizontal' or 'vertical', not {reference!r}")
    return _gated(_unless_coincide(angle, (a, b)), min_score, a, b)


def joint_angle(
    a: np.ndarray, vertex: np.ndarray, c: np.ndarray, min_score: float = MIN_KEYPOINT_SCORE
) -> np.ndarray:
    """Inner angle a-vertex-c in degrees, 0 to 180; NaN when two of the points coincide."""
    u, w = a[..., :2] - vertex[..., :2], c[..., :2] - vertex[..., :2]
    cross = u[..., 0] * w[..., 1] - u[..., 1] * w[..., 0]
    dot = (u * w).sum(axis=-1)
    angle = _unless_coincide(np.degrees(np.arctan2(np.abs(cross), dot)), (a, vertex), (c, vertex), (a, c))
    return _gated(angle, min_score, a, vertex, c)


def relative_position(
    a: np.ndarray, b: np.ndarray, scale: np.ndarray, axis: str = "y", min_score: float = MIN_KEYPOINT_SCORE
) -> np.ndarray:
    """Offset of a from b in body-scale units (``scale`` from ``body_scale``).

    ``y``: how far a is above b (image y grows downward, so this is ``(b.y - a.y) / scale``).
    ``x``: how far a is to the image right of b, ``(a.x - b.x) / scale``.
    "a above b by a margin" is ``relative_position(a, b, scale) > margin``.
    """
    if axis == "y":
        offset = b[..., 1] - a[..., 1]
    elif axis == "x":
        offset = a[..., 0] - b[..., 0]
    else:
        raise ValueError(f"axis must be 'x' or 'y', not {axis!r}")
    return _gated(_unless_coincide(_per_scale(offset, scale), (a, b)), min_score, a, b)


def distance_ratio(
    a: np.ndarray,
    b: np.ndarray,
    scale: np.ndarray,
    axis: str | None = None,
    min_score: float = MIN_KEYPOINT_SCORE,
) -> np.ndarray:
    """Distance a-b in body-scale units; only its horizontal (``x``) or vertical (``y``) part if asked.

    NaN when a and b coincide: two points on one spot are more likely a collapsed detection than a
    measured zero.
    """
    if axis is None:
        length = _length(a, b)
    elif axis in ("x", "y"):
        length = _unless_coincide(np.abs(a[..., "xy".index(axis)] - b[..., "xy".index(axis)]), (a, b))
    else:
        raise ValueError(f"axis must be None, 'x' or 'y', not {axis!r}")
    return _gated(_per_scale(length, scale), min_score, a, b)


def symmetry(left_value: np.ndarray, right_value: np.ndarray) -> np.ndarray:
    """Left minus right (NaN when either is unknown)."""
    return np.asarray(left_value, dtype=np.float64) - np.asarray(right_value, dtype=np.float64)


def facing(keypoints: np.ndarray, min_score: float = MIN_KEYPOINT_SCORE) -> np.ndarray:
    """+1 when the face points to the image right, -1 to the left (nose ahead of the ear); side views.

    NaN when the nose is straight above or below the ear (no direction)."""
    nose, ear = point(keypoints, "nose"), point(keypoints, "ear")
    dx = nose[..., 0] - ear[..., 0]
    direction = np.where(np.abs(dx) > MIN_LENGTH, np.sign(dx), np.nan)
    return _gated(direction, min_score, nose, ear)


TORSO_POINTS = tuple(point_indices("neck") + point_indices("mid_hip"))
# A person's view, from the shoulder and hip widths across the torso (in torsos, see torso_widths).
FRONT_MIN_FRONTALITY = 0.45  # shoulders at least this wide and ...
FRONT_MIN_HIP_WIDTH = 0.2  # ... hips at least this wide -> front (or back) view
SIDE_MAX_FRONTALITY = 0.3  # shoulders at most this wide and ...
SIDE_MAX_HIP_WIDTH = 0.2  # ... hips at most this wide -> side view; anything else (three-quarter, twisted)
FRONT_MIN_SCORE = 0.5  # a front view sees both sides: both shoulders and both hips scored at least this
SIDE_MIN_SCORE = 0.3  # a side view hides the far side: it may score lower
UNKNOWN_VIEW = "unknown"  # the view could not be told: rules made for one view are unknown


def estimate_view(keypoints: np.ndarray) -> str:
    """``front`` (or back), ``side``, or ``unknown`` when the torso is not seen well enough to tell.

    Front: both shoulders and both hips confidently seen (``FRONT_MIN_SCORE``), the shoulders and the hips
    wide across the torso. Side: shoulders and hips seen (``SIDE_MIN_SCORE``), both narrow. Anything else
    (hips hidden by a table, a three-quarter view, shoulders and hips that disagree) is unknown.
    """
    shoulders, hips = (float(w) for w in torso_widths(keypoints, SIDE_MIN_SCORE))
    if np.isnan(shoulders) or np.isnan(hips):
        return UNKNOWN_VIEW
    if shoulders <= SIDE_MAX_FRONTALITY and hips <= SIDE_MAX_HIP_WIDTH:
        return "side"
    well_seen = bool(np.all(keypoints[list(TORSO_POINTS), 2] >= FRONT_MIN_SCORE))
    if well_seen and shoulders >= FRONT_MIN_FRONTALITY and hips >= FRONT_MIN_HIP_WIDTH:
        return "front"
    return UNKNOWN_VIEW
