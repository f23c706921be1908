"""Jitter and lag of keypoint trajectories, and PaddleDetection's KeypointSmoothing as a baseline.

Trajectories are (T, K, 2) arrays of x, y per frame and keypoint, NaN where a keypoint is missing.
Time is counted in frames here: these measures compare filters on the same video.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from pose_demo.results import Person
from pose_demo.tracking.smoothing import lowpass_alpha


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


class PaddleKeypointSmoothing:
    """PaddleDetection's ``KeypointSmoothing`` defaults, reimplemented as a benchmark baseline only.

    As in its ``det_keypoint_unite_infer`` video loop: one OneEuro state (fc_d 0.1, fc_min 0.1,
    beta 0.05) with time counted in frames (te = 1), applied only when exactly one person is in the
    frame, with no tracking and no confidence gating; a keypoint that moved less than its threshold
    (0.3 x 0.005 of the image size for the face, 0.3 x 0.01 for the body) keeps its previous value.
    """

    def __init__(
        self,
        image_size: tuple[int, int],
        fc_d: float = 0.1,
        fc_min: float = 0.1,
        beta: float = 0.05,
        thres_mult: float = 0.3,
    ) -> None:
        self.image_size = np.asarray(image_size, dtype=np.float64)
        self.fc_d, self.fc_min, self.beta = fc_d, fc_min, beta
        self.threshold = np.array([0.005] * 5 + [0.01] * 12) * thres_mult
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None

    def apply(self, persons: list[Person], timestamp: float) -> list[Person]:
        """Smoothed persons; ``timestamp`` is ignored (the baseline counts frames)."""
        if len(persons) != 1:
            return persons
        kps = persons[0].keypoints.copy()
        xy = kps[:, :2].astype(np.float64)
        if self._x is None:
            self._x, self._dx = xy.copy(), np.zeros_like(xy)
            return persons
        moved = np.linalg.norm((xy - self._x) / self.image_size, axis=1) >= self.threshold
        a_d = lowpass_alpha(1.0, self.fc_d)
        dx = self._dx + a_d * ((xy - self._x) - self._dx)
        x = self._x + lowpass_alpha(1.0, self.fc_min + self.beta * np.abs(dx)) * (xy - self._x)
        self._dx[moved], self._x[moved] = dx[moved], x[moved]
        kps[:, :2] = self._x
        return [replace(persons[0], keypoints=kps)]
