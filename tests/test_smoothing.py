"""Keypoint smoothing on synthetic tracks with seeded noise; jitter and lag measures; Paddle baseline."""

from __future__ import annotations

import numpy as np
import pytest

from pose_demo.bench.paddle_smoothing import PaddleKeypointSmoothing
from pose_demo.bench.smoothing import jitter, lag_frames, still_phases
from pose_demo.results import Box, Person
from pose_demo.tracking import SMOOTHING_KINDS, filter_factory, make_smoother

K = 17
HEIGHT = 300.0  # box height in pixels
SMOOTHERS = ("oneeuro", "ema", "kalman")


def person(xy: np.ndarray, scores: np.ndarray | float = 0.9, track_id: int | None = 1) -> Person:
    kps = np.column_stack([xy, np.broadcast_to(scores, (K,))]).astype(np.float32)
    return Person(Box(100, 100, 250, 100 + HEIGHT), 0.9, kps, track_id=track_id)


def run(kind: str, traj: np.ndarray, fps: float, strength: float = 0.5, scores: np.ndarray | None = None):
    """Smooth a (T, K, 2) trajectory as one tracked person; returns the (T, K, 2) output."""
    smoother = make_smoother(kind, strength)
    scores = np.full(traj.shape[:2], 0.9) if scores is None else scores
    return np.array(
        [
            smoother.apply([person(xy, s)], i / fps)[0].keypoints[:, :2]
            for i, (xy, s) in enumerate(zip(traj, scores, strict=True))
        ]
    )


def still_trajectory(frames: int = 150, noise: float = 0.01, seed: int = 0) -> np.ndarray:
    """Keypoints at rest with Gaussian noise of ``noise`` box heights (std)."""
    rng = np.random.default_rng(seed)
    rest = rng.uniform(100, 400, (1, K, 2))
    return rest + rng.normal(0.0, noise * HEIGHT, (frames, K, 2))


def sine_trajectory(
    fps: float, seconds: float = 6.0, amplitude: float = 0.3, freq: float = 0.5
) -> np.ndarray:
    """Keypoints swinging sideways (amplitude in box heights), no noise."""
    t = np.arange(int(seconds * fps)) / fps
    traj = np.full((len(t), K, 2), 200.0)
    traj[..., 0] += amplitude * HEIGHT * np.sin(2 * np.pi * freq * t)[:, None]
    return traj


# --- the measures themselves ---------------------------------------------------------------


def test_jitter_of_white_noise_matches_theory() -> None:
    traj = still_trajectory(frames=4000, noise=0.01)
    # a 2-D second difference of white noise (std s per axis) has norm ~ Rayleigh(sqrt(6) s)
    expected = np.sqrt(6) * 0.01 * np.sqrt(np.pi / 2)
    assert jitter(traj, np.full(len(traj), HEIGHT), np.ones(len(traj), bool)) == pytest.approx(
        expected, rel=0.03
    )


def test_jitter_is_zero_on_a_ramp_and_ignores_masked_frames() -> None:
    traj = np.cumsum(np.ones((50, K, 2)), axis=0)
    h = np.full(50, HEIGHT)
    assert jitter(traj, h, np.ones(50, bool)) == pytest.approx(0.0, abs=1e-12)
    traj[25, 3] += 30.0  # a spike, outside the still mask
    mask = np.ones(50, bool)
    mask[25] = False
    assert jitter(traj, h, mask) == pytest.approx(0.0, abs=1e-12)
    assert jitter(traj, h, np.ones(50, bool)) > 0


def test_still_phases_split_rest_from_motion() -> None:
    traj = still_trajectory(frames=120, noise=0.003)
    traj[60:, :, 0] += np.arange(60)[:, None] * 0.02 * HEIGHT  # moves 0.02 box heights per frame
    phases = still_phases(traj, np.full(120, HEIGHT))
    assert phases.still[5:55].all() and not phases.moving[5:55].any()
    assert phases.moving[65:115].all() and not phases.still[65:115].any()
    assert not (phases.still[:4] | phases.moving[:4]).any()  # too close to the edge to tell


@pytest.mark.parametrize("delay", [0.0, 0.5, 1.2, 3.0])
def test_lag_frames_recovers_a_known_delay(delay: float) -> None:
    fps = 30.0
    raw = sine_trajectory(fps)
    t = np.arange(len(raw)) / fps
    shifted = raw.copy()
    shifted[..., 0] = 200 + 0.3 * HEIGHT * np.sin(2 * np.pi * 0.5 * (t - delay / fps))[:, None]
    assert lag_frames(raw, shifted, np.ones(len(raw), bool)) == pytest.approx(delay, abs=0.05)


def test_lag_frames_is_unknown_without_enough_motion() -> None:
    """A mostly still clip (7 moving frames, as in the first 1.3 s of the squat video) has no lag to measure:
    the correlation would peak anywhere."""
    raw = sine_trajectory(30.0)
    moving = np.zeros(len(raw), bool)
    moving[10:17] = True
    assert np.isnan(lag_frames(raw, raw, moving))
    assert np.isnan(lag_frames(raw, raw, np.zeros(len(raw), bool)))
    still = np.repeat(raw[:1], len(raw), axis=0)  # "moving" frames whose positions never change
    assert np.isnan(lag_frames(still, still, np.ones(len(raw), bool)))
    assert lag_frames(raw, raw, np.ones(len(raw), bool)) == pytest.approx(0.0, abs=1e-6)


# --- filters --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", SMOOTHERS)
def test_smoothing_halves_jitter_on_a_still_trajectory(kind: str) -> None:
    raw = still_trajectory()
    h = np.full(len(raw), HEIGHT)
    still = np.ones(len(raw), bool)
    out = run(kind, raw, fps=30.0)
    assert jitter(out, h, still) <= 0.5 * jitter(raw, h, still)


def test_none_passes_keypoints_through() -> None:
    raw = still_trajectory(frames=20)
    np.testing.assert_allclose(run("none", raw, fps=30.0), raw.astype(np.float32))


def test_oneeuro_step_response_within_stated_lag() -> None:
    """Default strength, 30 fps: a step of 0.1 box height reaches 90 % within 1 frame, 0.03 within 2."""
    fps = 30
    for size, frames in ((0.1, 1), (0.03, 2)):
        traj = np.zeros((60, K, 2))
        traj[30:] = size * HEIGHT
        out = run("oneeuro", traj, fps)[:, 0, 0]
        reached = np.argmax(out[30:] >= 0.9 * size * HEIGHT)  # frames after the step frame
        assert out[30 + reached] >= 0.9 * size * HEIGHT and reached <= frames


def test_oneeuro_keeps_lag_below_one_frame_on_motion() -> None:
    raw = sine_trajectory(30.0) + np.random.default_rng(1).normal(0, 0.005 * HEIGHT, (180, K, 2))
    moving = still_phases(raw, np.full(len(raw), HEIGHT)).moving
    assert moving.mean() > 0.5
    assert 0.0 < lag_frames(raw, run("oneeuro", raw, 30.0), moving) < 1.0


@pytest.mark.parametrize("kind", SMOOTHERS)
def test_time_comes_from_timestamps_not_frame_counts(kind: str) -> None:
    """The same motion sampled at 15 and 30 fps is delayed by about the same number of seconds.

    (A filter counting frames would be delayed twice as long at 15 fps: see the Paddle baseline test.)
    """
    lags = []
    for fps in (15.0, 30.0):
        raw = sine_trajectory(fps)
        lags.append(lag_frames(raw, run(kind, raw, fps, strength=0.8), np.ones(len(raw), bool)) / fps)
    assert lags[0] > 0.005 and lags[1] > 0.005
    assert lags[0] == pytest.approx(lags[1], rel=0.3)


def test_paddle_baseline_counts_frames() -> None:
    """The baseline's delay in frames stays put when the frame rate halves, so in seconds it doubles."""
    lags = []
    for fps in (15.0, 30.0):
        raw = sine_trajectory(fps)
        baseline = PaddleKeypointSmoothing((640, 480))
        out = np.array(
            [baseline.apply([person(xy)], i / fps)[0].keypoints[:, :2] for i, xy in enumerate(raw)]
        )
        lags.append(lag_frames(raw, out, np.ones(len(raw), bool)))
    assert lags[0] > 0.1
    assert lags[0] == pytest.approx(lags[1], rel=0.35)


def test_paddle_baseline_smooths_only_a_lone_person() -> None:
    baseline = PaddleKeypointSmoothing((640, 480))
    first, moved = still_trajectory(frames=2, noise=0.0)[0], still_trajectory(frames=2, noise=0.0)[0] + 40.0
    baseline.apply([person(first)], 0.0)
    two = [person(moved), person(moved + 100, track_id=2)]
    assert baseline.apply(two, 1 / 30) is two  # two persons: untouched
    smoothed = baseline.apply([person(moved)], 2 / 30)[0].keypoints[:, :2]
    assert np.all((smoothed > first) & (smoothed < moved))
    tiny = baseline.apply([person(smoothed + 0.5)], 3 / 30)[0].keypoints[:, :2]
    np.testing.assert_allclose(tiny, smoothed)  # below its dead zone: held


# --- confidence gating and per-track state --------------------------------------------------


@pytest.mark.parametrize("kind", SMOOTHERS)
def test_occluded_keypoint_is_not_dragged(kind: str) -> None:
    """Keypoint 9 is occluded for 10 frames then reappears 60 px away: no drag from where it was lost."""
    raw = still_trajectory(frames=60, noise=0.005)
    raw[30:, 9] += 60.0
    scores = np.full((60, K), 0.9)
    scores[20:30, 9] = 0.05
    out = run(kind, raw, 30.0, scores=scores)
    np.testing.assert_allclose(out[20:30, 9], raw[20:30, 9].astype(np.float32))  # occluded: raw
    assert np.linalg.norm(out[30, 9] - raw[30, 9]) < 2.0  # first frame back: at the raw point
    assert np.abs(out[30:, 0] - raw[30:, 0]).max() > 0.2  # the visible keypoints are still smoothed


def test_ungated_keypoint_would_be_dragged() -> None:
    """Control for the gating test: with the occlusion ignored, the same jump is followed slowly."""
    raw = still_trajectory(frames=60, noise=0.005)
    raw[30:, 9] += 60.0
    out = run("ema", raw, 30.0)
    assert np.linalg.norm(out[30, 9] - raw[30, 9]) > 20.0


def test_every_track_is_smoothed_and_forget_drops_state() -> None:
    smoother = make_smoother("ema", 0.8)
    a, b = still_trajectory(frames=2, noise=0.0)[0], still_trajectory(frames=2, noise=0.0, seed=1)[0]
    smoother.apply([person(a, track_id=1), person(b, track_id=2), person(b, track_id=None)], 0.0)
    assert sorted(smoother.track_ids) == [1, 2]
    out = smoother.apply(
        [person(a + 50, track_id=1), person(b + 50, track_id=2), person(b + 50, track_id=None)], 0.1
    )
    assert all(
        np.all(np.abs(p.keypoints[:, :2] - (xy + 50)) > 1.0) for p, xy in zip(out[:2], (a, b), strict=True)
    )
    np.testing.assert_allclose(out[2].keypoints[:, :2], (b + 50).astype(np.float32))  # no id: raw
    smoother.forget([1])
    assert smoother.track_ids == [2]
    again = smoother.apply([person(a + 100, track_id=1)], 0.2)[0]
    np.testing.assert_allclose(again.keypoints[:, :2], (a + 100).astype(np.float32))  # fresh filter


def test_apply_keeps_scores_and_inputs() -> None:
    smoother = make_smoother("oneeuro")
    p0 = person(still_trajectory(frames=1)[0], np.linspace(0.1, 0.9, K))
    smoother.apply([p0], 0.0)
    p1 = person(p0.keypoints[:, :2] + 5.0, np.linspace(0.1, 0.9, K))
    before = p1.keypoints.copy()
    out = smoother.apply([p1], 1 / 30)[0]
    np.testing.assert_array_equal(out.keypoints[:, 2], before[:, 2])
    np.testing.assert_array_equal(p1.keypoints, before)
    assert out is not p1 and out.track_id == 1


def test_timestamps_must_increase() -> None:
    smoother = make_smoother("kalman")
    smoother.apply([person(np.zeros((K, 2)))], 1.0)
    with pytest.raises(ValueError, match="increase"):
        smoother.apply([person(np.zeros((K, 2)))], 1.0)


def test_strength_orders_smoothing_and_unknown_kind_fails() -> None:
    raw = still_trajectory()
    h, still = np.full(len(raw), HEIGHT), np.ones(len(raw), bool)
    for kind in SMOOTHERS:
        light, heavy = (jitter(run(kind, raw, 30.0, strength=s), h, still) for s in (0.0, 1.0))
        assert heavy < 0.6 * light
    assert set(SMOOTHING_KINDS) == {"oneeuro", "ema", "kalman", "none"}
    with pytest.raises(ValueError, match="unknown smoothing"):
        filter_factory("median", 0.5)
