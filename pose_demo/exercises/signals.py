"""Signals: one number per frame from a person's keypoints over time (pure numpy).

``keypoints`` are ``(N, 17, 3)`` arrays (one row per frame, score 0 where the person was not seen);
every value is NaN ("unknown") where a keypoint it needs scored below ``min_score``, as in
``pose_demo.geometry``.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from pose_demo.exercises.reliability import plausible
from pose_demo.exercises.schema import Measure, Signal, mirrored
from pose_demo.geometry import (
    body_scale,
    distance_ratio,
    facing,
    joint_angle,
    point,
    relative_position,
    segment_angle,
    symmetry,
    torso_length,
)
from pose_demo.results import MIN_KEYPOINT_SCORE
from pose_demo.tracking.sides import unwrap_degrees

SMOOTH_S = 0.2  # the median filter's window on signals, in seconds


def measure_series(
    m: Measure, keypoints: np.ndarray, min_score: float = MIN_KEYPOINT_SCORE, trusted: bool = True
) -> np.ndarray:
    """The measure in every frame, ``(N,)``; NaN when unknown (vectorised ``rules.ruleset`` measures).
    ``trusted``: also NaN where the joints it uses are implausibly placed (``reliability.plausible``)."""
    keypoints = np.asarray(keypoints, dtype=np.float64)
    if m.primitive == "symmetry":
        left, right = (measure_series(p, keypoints, min_score, trusted) for p in m.parts)
        return symmetry(left, right)
    pts = [point(keypoints, name) for name in m.points]
    if m.primitive in ("joint_angle", "segment_angle"):
        if m.primitive == "joint_angle":
            values = joint_angle(*pts, min_score=min_score)
        else:  # continuous: from the vertical, 179 deg goes on to 181, not -179
            reference = m.option or "horizontal"
            values = unwrap_degrees(segment_angle(*pts, reference=reference, min_score=min_score))
        return np.where(plausible(m, values, keypoints, min_score), values, np.nan) if trusted else values
    scale = track_scale(keypoints, min_score)
    if m.primitive == "distance_ratio":
        return distance_ratio(*pts, scale, axis=m.option, min_score=min_score)
    if m.option == "forward":
        return relative_position(*pts, scale, "x", min_score) * facing(keypoints, min_score)
    return relative_position(*pts, scale, m.option or "y", min_score)


def track_scale(keypoints: np.ndarray, min_score: float = MIN_KEYPOINT_SCORE) -> np.ndarray:
    """The body scale of one person over time (N,): the torso where it is seen; in frames where it is not
    (hips out of frame or scored low), the median of the torsos seen on the track, not the shoulder width,
    which side-on shrinks to nothing. The shoulder-width estimate (``geometry.body_scale``) only for a track
    whose torso is never seen."""
    torso = torso_length(keypoints, min_score)
    seen = ~np.isnan(torso)
    if not seen.any():
        return body_scale(keypoints, min_score)
    return np.where(seen, torso, float(np.median(torso[seen])))


def mirror(m: Measure) -> Measure:
    """The same measure on the other side of the body (left <-> right keypoints)."""
    return replace(m, points=tuple(mirrored(p) for p in m.points), parts=tuple(mirror(p) for p in m.parts))


def side_series(
    signal: Signal, keypoints: np.ndarray, min_score: float = MIN_KEYPOINT_SCORE, trusted: bool = True
) -> tuple[np.ndarray, np.ndarray] | None:
    """The measure as written and mirrored, ``(left-or-as-written, other side)``; None without ``sides``."""
    if signal.sides is None:
        return None
    return (
        measure_series(signal.measure, keypoints, min_score, trusted),
        measure_series(mirror(signal.measure), keypoints, min_score, trusted),
    )


def signal_series(
    signal: Signal, keypoints: np.ndarray, min_score: float = MIN_KEYPOINT_SCORE, trusted: bool = True
) -> np.ndarray:
    """The signal in every frame: the measure, or both sides combined (min / max / mean of those known).
    ``trusted``: unknown where the joints are implausibly placed (see ``measure_series``)."""
    sides = side_series(signal, keypoints, min_score, trusted)
    if sides is None:
        return measure_series(signal.measure, keypoints, min_score, trusted)
    both = np.stack(sides)
    known = ~np.isnan(both)
    filled = {"min": np.where(known, both, np.inf), "max": np.where(known, both, -np.inf)}
    with np.errstate(invalid="ignore"):
        if signal.sides == "min":
            value = filled["min"].min(axis=0)
        elif signal.sides == "max":
            value = filled["max"].max(axis=0)
        else:
            value = np.where(known, both, 0.0).sum(axis=0) / known.sum(axis=0)
    return np.where(known.any(axis=0), value, np.nan)


def median_smooth(values: np.ndarray, times: np.ndarray, window_s: float = SMOOTH_S) -> np.ndarray:
    """A centred running median over ``window_s`` (at least 1 frame) of the known values; unknown frames
    stay unknown, so a gap is never filled in."""
    values = np.asarray(values, dtype=np.float64)
    if len(values) < 3:
        return values.copy()
    step = float(np.median(np.diff(times)))
    half = round(window_s / step / 2) if step > 0 else 0
    if half < 1:
        return values.copy()
    padded = np.pad(values, half, constant_values=np.nan)
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1)
    with np.errstate(all="ignore"):
        smoothed = np.nanmedian(np.where(np.isnan(values)[:, None], 0.0, windows), axis=1)
    return np.where(np.isnan(values), np.nan, smoothed)


def hip_x_per_torso(keypoints: np.ndarray, min_score: float = MIN_KEYPOINT_SCORE) -> tuple[np.ndarray, float]:
    """The hips' horizontal position in pixels per frame, and the person's median torso length (pixels):
    how far the person travels, in torso lengths, is a difference of the first over the second."""
    hip = point(keypoints, "mid_hip")
    x = np.where(hip[..., 2] >= min_score, hip[..., 0], np.nan)
    scale = track_scale(keypoints, min_score)
    torso = float(np.nanmedian(scale)) if np.any(~np.isnan(scale)) else np.nan
    return x, torso
