"""Smoothing measured: jitter and lag of keypoint trajectories, and our filters against PaddleDetection's
``KeypointSmoothing`` on the same video (``bench-video``).

Trajectories are (T, K, 2) arrays of x, y per frame and keypoint, NaN where a keypoint is missing.
Time is counted in frames here: these measures compare filters on the same video.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pose_demo.bench.paddle_smoothing import PaddleKeypointSmoothing
from pose_demo.results import MIN_KEYPOINT_SCORE, Person
from pose_demo.tracking import make_smoother
from pose_demo.video import VideoRun


@dataclass
class Phases:
    """(T, K) masks of the frames where each keypoint is still, or moving (edge, missing frames: neither)."""

    still: np.ndarray
    moving: np.ndarray


def still_phases(
    traj: np.ndarray, box_heights: np.ndarray, window: int = 9, speed_thr: float = 0.004
) -> Phases:
    """Split a trajectory into still and moving phases per keypoint.

    The speed is the displacement across ``window`` frames (centred) divided by the window and by the
    box height: measured over a window so that noise alone does not look like motion. Still means a
    speed below ``speed_thr`` box heights per frame, moving at or above it.
    """
    half = window // 2
    speed = np.full(traj.shape[:2], np.nan)
    step = np.linalg.norm(traj[window - 1 :] - traj[: len(traj) - window + 1], axis=-1)
    speed[half : len(traj) - half] = step / (window - 1) / box_heights[half : len(traj) - half, None]
    known = np.isfinite(speed) & np.isfinite(traj).all(axis=-1)
    return Phases(still=known & (speed < speed_thr), moving=known & (speed >= speed_thr))


def jitter(traj: np.ndarray, box_heights: np.ndarray, still_mask: np.ndarray) -> float:
    """Mean |second difference| of keypoint positions over still phases, in box heights per frame^2.

    ``still_mask`` is (T,) or (T, K); a second difference counts when its three frames are all still.
    """
    mask = np.broadcast_to(still_mask.reshape(len(traj), -1), traj.shape[:2])
    acc = np.linalg.norm(traj[2:] - 2 * traj[1:-1] + traj[:-2], axis=-1) / box_heights[1:-1, None]
    use = mask[2:] & mask[1:-1] & mask[:-2] & np.isfinite(acc)
    return float(acc[use].mean()) if use.any() else float("nan")


def lag_frames(raw: np.ndarray, smoothed: np.ndarray, moving_mask: np.ndarray, max_lag: int = 10) -> float:
    """Delay (frames, sub-frame by a parabola on the peak) of ``smoothed`` behind ``raw`` on moving phases.

    For each lag L in -max_lag..max_lag, the correlation of raw[t] with smoothed[t + L] over the moving
    frames t (positions minus their means, per keypoint coordinate, pooled over all of them); the lag
    is the peak. Positive: the smoothed track lags. NaN when fewer than ``2 * max_lag + 1`` frames move,
    or the moving positions do not vary: there is no motion to measure a delay on.
    """
    mask = np.broadcast_to(moving_mask.reshape(len(raw), -1), raw.shape[:2])[..., None]
    if np.count_nonzero(mask.any(axis=(1, 2))) < 2 * max_lag + 1:
        return float("nan")
    n = len(raw)
    lags = np.arange(-max_lag, max_lag + 1)
    corr = np.empty(len(lags))
    for i, lag in enumerate(lags):
        a = raw[max(0, -lag) : n - max(0, lag)]
        b = smoothed[max(0, lag) : n - max(0, -lag)]
        ok = mask[max(0, -lag) : n - max(0, lag)] & np.isfinite(a) & np.isfinite(b)
        count = np.maximum(ok.sum(axis=0), 1)
        a = np.where(ok, a - np.where(ok, a, 0.0).sum(axis=0) / count, 0.0)
        b = np.where(ok, b - np.where(ok, b, 0.0).sum(axis=0) / count, 0.0)
        energy = np.sqrt((a * a).sum() * (b * b).sum())
        if lag == 0 and energy < 1e-12:
            return float("nan")
        corr[i] = (a * b).sum() / max(energy, 1e-12)
    peak = int(np.argmax(corr))
    if 0 < peak < len(lags) - 1:
        left, mid, right = corr[peak - 1 : peak + 2]
        curvature = left - 2 * mid + right
        return float(lags[peak] + (0.5 * (left - right) / curvature if curvature < 0 else 0.0))
    return float(lags[peak])


def trajectory(
    frames: list[list[Person]], track_id: int, score_thr: float = MIN_KEYPOINT_SCORE
) -> tuple[np.ndarray, np.ndarray]:
    """(T, 17, 2) keypoint positions of one track (NaN where absent or below ``score_thr``), (T,) box
    heights (NaN where absent)."""
    xy = np.full((len(frames), 17, 2), np.nan)
    heights = np.full(len(frames), np.nan)
    for t, persons in enumerate(frames):
        for p in persons:
            if p.track_id == track_id:
                xy[t] = np.where(p.keypoints[:, 2:] >= score_thr, p.keypoints[:, :2], np.nan)
                heights[t] = p.box.height
    return xy, heights


def smoothing_comparison(raw: VideoRun, strength: float) -> dict[str, dict[str, float]]:
    """Jitter (on still phases) and lag (on moving phases, frames) of the longest track's keypoints:
    raw, each of our filters at ``strength``, and PaddleDetection's KeypointSmoothing defaults.

    ``raw`` is a run without smoothing; the filters are applied to its persons as a PoseStream would.
    """
    frames = [f.persons for f in raw.frames]
    tracks = raw.track_ids
    if not tracks:
        return {}
    times = [f.time for f in raw.frames]
    variants = {"raw": frames}
    for kind in ("oneeuro", "ema", "kalman"):
        smoother = make_smoother(kind, strength)
        variants[kind] = [smoother.apply(persons, t) for persons, t in zip(frames, times, strict=True)]
    baseline = PaddleKeypointSmoothing(raw.size)
    variants["paddle_baseline"] = [
        baseline.apply(persons, t) for persons, t in zip(frames, times, strict=True)
    ]
    track = tracks[0]
    raw_xy, heights = trajectory(frames, track)
    phases = still_phases(raw_xy, heights)
    table = {}
    for name, smoothed in variants.items():
        xy, _ = trajectory(smoothed, track)
        table[name] = {
            "jitter": _known(jitter(xy, heights, phases.still)),
            "lag_frames": _known(lag_frames(raw_xy, xy, phases.moving)),
        }
    return table


def _known(value: float) -> float | None:
    """The value, or None (JSON null) when it could not be measured (NaN)."""
    return None if np.isnan(value) else value
