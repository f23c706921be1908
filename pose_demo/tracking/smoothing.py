"""Temporal smoothing of keypoints, one filter per track, timed by real timestamps in seconds.

Every filter works on all keypoints of a person at once, as (K, 2) arrays. Filter settings are in units
of the person's box height (``scale``), so one strength behaves the same at any resolution or distance.

Confidence gating: a keypoint scoring below ``score_thr`` is passed through raw (its unchanged score,
below the threshold, is the mark) and its filter state is dropped, so when it is seen again it restarts
from the new raw position instead of being dragged from where it was lost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from functools import partial

import numpy as np

from pose_demo.results import MIN_KEYPOINT_SCORE, Person
from pose_demo.skeleton import COCO17

SMOOTHING_KINDS = ("oneeuro", "ema", "kalman", "none")


def lowpass_alpha(dt: float, cutoff: np.ndarray | float) -> np.ndarray | float:
    """Weight of the new sample in a first-order low-pass with ``cutoff`` Hz after ``dt`` seconds."""
    r = 2 * np.pi * cutoff * dt
    return r / (r + 1)


class KeypointFilter:
    """Base filter: confidence gating and timing; subclasses implement ``_start`` and ``_filter``."""

    def __init__(self, num_keypoints: int = len(COCO17.keypoints)) -> None:
        self._x = np.zeros((num_keypoints, 2))
        self._active = np.zeros(num_keypoints, dtype=bool)
        self._time: float | None = None

    def step(self, xy: np.ndarray, valid: np.ndarray, timestamp: float, scale: float) -> np.ndarray:
        """Filter the (K, 2) positions ``xy`` seen at ``timestamp`` (s); only ``valid`` ones are smoothed."""
        if self._time is not None and timestamp <= self._time:
            raise ValueError(f"timestamps must increase: got {timestamp} after {self._time}")
        xy = np.asarray(xy, dtype=np.float64)
        out = xy.copy()
        keep = valid & self._active
        if keep.any():
            out[keep] = self._filter(xy, timestamp - self._time, scale)[keep]
        self._start(xy, valid & ~self._active, scale)
        self._active = valid.copy()
        self._time = timestamp
        return out

    def _start(self, xy: np.ndarray, idx: np.ndarray, scale: float) -> None:
        """(Re)start the keypoints ``idx`` at ``xy``, at rest."""
        self._x[idx] = xy[idx]

    def _filter(self, xy: np.ndarray, dt: float, scale: float) -> np.ndarray:
        raise NotImplementedError


class NoFilter(KeypointFilter):
    """Passes keypoints through unchanged."""

    def _filter(self, xy: np.ndarray, dt: float, scale: float) -> np.ndarray:
        return xy


class EmaFilter(KeypointFilter):
    """Exponential moving average with time constant ``tau`` seconds."""

    def __init__(self, tau: float, num_keypoints: int = len(COCO17.keypoints)) -> None:
        super().__init__(num_keypoints)
        self.tau = tau

    def _filter(self, xy: np.ndarray, dt: float, scale: float) -> np.ndarray:
        self._x += (1 - np.exp(-dt / self.tau)) * (xy - self._x)
        return self._x


class OneEuroFilter(KeypointFilter):
    """The 1-euro filter (Casiez et al., 2012) per coordinate: the cutoff (Hz) rises with the speed.

    cutoff = min_cutoff + beta * |speed|, the speed in box heights per second, itself low-passed at
    ``d_cutoff`` Hz.
    """

    def __init__(
        self,
        min_cutoff: float,
        beta: float,
        d_cutoff: float = 1.0,
        num_keypoints: int = len(COCO17.keypoints),
    ) -> None:
        super().__init__(num_keypoints)
        self.min_cutoff, self.beta, self.d_cutoff = min_cutoff, beta, d_cutoff
        self._dx = np.zeros_like(self._x)

    def _start(self, xy: np.ndarray, idx: np.ndarray, scale: float) -> None:
        super()._start(xy, idx, scale)
        self._dx[idx] = 0.0

    def _filter(self, xy: np.ndarray, dt: float, scale: float) -> np.ndarray:
        self._dx += lowpass_alpha(dt, self.d_cutoff) * ((xy - self._x) / dt - self._dx)
        cutoff = self.min_cutoff + self.beta * np.abs(self._dx) / scale
        self._x += lowpass_alpha(dt, cutoff) * (xy - self._x)
        return self._x


class KalmanKeypointFilter(KeypointFilter):
    """Constant-velocity Kalman filter per coordinate, all coordinates in one block-diagonal filterpy filter.

    State: the 2K positions then the 2K velocities. ``accel_std`` (box heights / s^2) is the process
    noise, ``measure_std`` (box heights) the keypoint noise.
    """

    def __init__(
        self, accel_std: float, measure_std: float, num_keypoints: int = len(COCO17.keypoints)
    ) -> None:
        from filterpy.kalman import KalmanFilter  # filterpy imports scipy.stats (~1-2 s): load on first use

        super().__init__(num_keypoints)
        self.accel_std, self.measure_std = accel_std, measure_std
        n = 2 * num_keypoints
        self._kf = KalmanFilter(dim_x=2 * n, dim_z=n)
        self._kf.H = np.eye(n, 2 * n)

    def _start(self, xy: np.ndarray, idx: np.ndarray, scale: float) -> None:
        n = self._kf.dim_z
        pos = np.flatnonzero(np.repeat(idx, 2))
        both = np.concatenate([pos, pos + n])
        self._kf.x[both, 0] = np.concatenate([xy.reshape(-1)[pos], np.zeros(len(pos))])
        self._kf.P[both, :] = 0.0
        self._kf.P[:, both] = 0.0
        self._kf.P[pos, pos] = (self.measure_std * scale) ** 2
        self._kf.P[pos + n, pos + n] = scale**2  # speed unknown: about one box height per second

    def _filter(self, xy: np.ndarray, dt: float, scale: float) -> np.ndarray:
        from filterpy.common import Q_discrete_white_noise

        n = self._kf.dim_z
        var = (self.accel_std * scale) ** 2
        q = Q_discrete_white_noise(2, dt=dt, var=var, block_size=n, order_by_dim=False)
        self._kf.predict(F=np.eye(2 * n) + dt * np.eye(2 * n, k=n), Q=q)
        self._kf.update(xy.reshape(-1), R=(self.measure_std * scale) ** 2)
        return self._kf.x[:n, 0].reshape(-1, 2)


def _geo(lo: float, hi: float, t: float) -> float:
    """Geometric interpolation from ``lo`` (t=0) to ``hi`` (t=1)."""
    return float(lo * (hi / lo) ** t)


def filter_factory(kind: str, strength: float) -> Callable[[], KeypointFilter]:
    """A maker of fresh filters of ``kind``, with ``strength`` 0 (lightest) .. 1 (heaviest smoothing)."""
    s = float(np.clip(strength, 0.0, 1.0))
    if kind == "oneeuro":
        return partial(OneEuroFilter, min_cutoff=_geo(2.0, 0.3, s), beta=_geo(200.0, 16.0, s), d_cutoff=1.0)
    if kind == "ema":
        return partial(EmaFilter, tau=_geo(0.01, 0.3, s))
    if kind == "kalman":
        return partial(KalmanKeypointFilter, accel_std=_geo(30.0, 0.3, s), measure_std=0.01)
    if kind == "none":
        return NoFilter
    raise ValueError(f"unknown smoothing {kind!r}; choose one of {', '.join(SMOOTHING_KINDS)}")


class PoseSmoother:
    """Smooths the keypoints of every tracked person with its own filter (persons without id pass raw)."""

    def __init__(
        self, new_filter: Callable[[], KeypointFilter], score_thr: float = MIN_KEYPOINT_SCORE
    ) -> None:
        self.new_filter = new_filter
        self.score_thr = score_thr
        self._filters: dict[int, KeypointFilter] = {}

    def apply(self, persons: list[Person], timestamp: float) -> list[Person]:
        """New persons with smoothed keypoint positions (scores unchanged), at ``timestamp`` seconds."""
        out = []
        for person in persons:
            if person.track_id is None:
                out.append(person)
                continue
            if person.track_id not in self._filters:
                self._filters[person.track_id] = self.new_filter()
            kps = person.keypoints.copy()
            valid = kps[:, 2] >= self.score_thr
            scale = max(person.box.height, 1.0)
            kps[:, :2] = self._filters[person.track_id].step(kps[:, :2], valid, timestamp, scale)
            out.append(replace(person, keypoints=kps))
        return out

    def forget(self, track_ids: Iterable[int]) -> None:
        """Drop the filter state of these tracks (call with the tracker's ``dead_ids``)."""
        for track_id in track_ids:
            self._filters.pop(track_id, None)

    @property
    def track_ids(self) -> list[int]:
        return list(self._filters)


def make_smoother(kind: str, strength: float = 0.5, score_thr: float = MIN_KEYPOINT_SCORE) -> PoseSmoother:
    """The pipeline's one smoothing setting: ``kind`` in SMOOTHING_KINDS and a 0..1 ``strength``."""
    return PoseSmoother(filter_factory(kind, strength), score_thr)
