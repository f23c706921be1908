"""Tracking and smoothing (issue 30, gaps 8 and 9).

- The tracker matches a detection to a track only from an IoU of 0.3: a box overlapping a track's by 0.25
  starts a new (tentative) track, one overlapping by 0.43 keeps the track's id.
- Two persons are one (a duplicate dropped) only when their poses lie within 0.1 box diagonals: two
  persons 0.2 diagonals apart are both kept, two 0.05 apart are one.
- Smoothing works in box heights: a track scaled by ``k`` (a 100 px box and a 1000 px box) is smoothed
  into the scaled result, and a track moved is smoothed into the moved result (hypothesis properties).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pose_demo.results import Box, Person
from pose_demo.tracking import Tracker, make_smoother
from pose_demo.tracking.tracker import iou_matrix, pose_distance

K = 17
FPS = 30.0
BOX = Box(100.0, 100.0, 200.0, 300.0, 0.9)  # 100 x 200 px


def pose(box: Box, seed: int = 0) -> np.ndarray:
    """17 keypoints spread over the box (score 0.9), the same layout for the same seed."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0.1, 0.9, (K, 2)) * [box.width, box.height] + [box.x1, box.y1]
    return np.column_stack([xy, np.full(K, 0.9)]).astype(np.float32)


def moved(box: Box, dx: float) -> Box:
    return Box(box.x1 + dx, box.y1, box.x2 + dx, box.y2, box.score)


def iou(a: Box, b: Box) -> float:
    return float(iou_matrix(np.array([a.as_xyxy()]), np.array([b.as_xyxy()]))[0, 0])


# ---------------------------------------------------------------- the IoU threshold


@pytest.mark.parametrize(
    ("dx", "expected_iou", "same_track"), [(40.0, 60 / 140, True), (60.0, 40 / 160, False)]
)
def test_a_detection_takes_the_track_only_from_an_iou_of_0_3(
    dx: float, expected_iou: float, same_track: bool
) -> None:
    """A person still for 5 frames (track 1), then found ``dx`` px to the right."""
    tracker = Tracker()
    for i in range(5):
        (first,) = tracker.update([Person(BOX, 0.9, pose(BOX))], i / FPS)
    assert first.track_id == 1
    jumped = moved(BOX, dx)
    assert iou(BOX, jumped) == pytest.approx(expected_iou)
    (after,) = tracker.update([Person(jumped, 0.9, pose(jumped))], 5 / FPS)
    assert after.track_id == (1 if same_track else None)  # None: a new track, tentative


# ---------------------------------------------------------------- duplicate poses


@pytest.mark.parametrize(("apart", "kept"), [(0.05, 1), (0.08, 1), (0.12, 2), (0.2, 2), (0.28, 2)])
def test_two_poses_are_one_only_within_a_tenth_of_the_box_diagonal(apart: float, kept: int) -> None:
    """Two persons with the same pose ``apart`` box diagonals to the right of each other."""
    diagonal = float(np.hypot(BOX.width, BOX.height))
    shift = apart * diagonal
    one = Person(BOX, 0.9, pose(BOX))
    other_box = moved(BOX, shift)
    other = Person(other_box, 0.8, pose(BOX) + np.array([shift, 0.0, 0.0], np.float32))
    assert pose_distance(one, other) == pytest.approx(apart, rel=1e-5)
    found = Tracker().update([one, other], 0.0)
    assert len(found) == kept
    assert found[0].score == 0.9  # the higher score is kept (no track yet to prefer)


# ---------------------------------------------------------------- smoothing at any resolution


def track(seed: int, frames: int, box_height: float) -> tuple[np.ndarray, np.ndarray]:
    """Keypoints (T, K, 2) moving at up to a few box heights per second with 1 % jitter, and their
    scores (T, K), a few below the threshold (then passed raw and restarted)."""
    rng = np.random.default_rng(seed)
    start = rng.uniform(0.0, box_height, (1, K, 2))
    velocity = rng.normal(0.0, 2.0 * box_height, (1, K, 2)) * np.sin(np.arange(frames) / 7.0)[:, None, None]
    xy = start + np.cumsum(velocity / FPS, axis=0) + rng.normal(0.0, 0.01 * box_height, (frames, K, 2))
    scores = np.where(rng.random((frames, K)) < 0.05, 0.1, 0.9)
    return xy, scores


def smoothed(kind: str, strength: float, xy: np.ndarray, scores: np.ndarray, box: Box) -> np.ndarray:
    smoother = make_smoother(kind, strength)
    out = []
    for i, (frame, score) in enumerate(zip(xy, scores, strict=True)):
        keypoints = np.column_stack([frame, score])
        (person,) = smoother.apply([Person(box, 0.9, keypoints, track_id=1)], i / FPS)
        out.append(person.keypoints[:, :2])
    return np.array(out)


SMOOTHED_KINDS = st.sampled_from(["oneeuro", "kalman", "ema"])


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(
    kind=SMOOTHED_KINDS,
    strength=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**16),
    k=st.floats(0.5, 20.0),
)
@example(kind="oneeuro", strength=0.5, seed=0, k=10.0)  # the 100 px box and the 1000 px box
@example(kind="kalman", strength=0.5, seed=0, k=10.0)
def test_smoothing_a_scaled_track_gives_the_scaled_result(
    kind: str, strength: float, seed: int, k: float
) -> None:
    xy, scores = track(seed, 45, 100.0)
    small = Box(0.0, 0.0, 50.0, 100.0, 0.9)
    large = Box(0.0, 0.0, 50.0 * k, 100.0 * k, 0.9)
    expected = k * smoothed(kind, strength, xy, scores, small)
    np.testing.assert_allclose(
        smoothed(kind, strength, k * xy, scores, large), expected, rtol=1e-6, atol=1e-6 * k
    )


@settings(max_examples=20, deadline=None, derandomize=True, database=None)
@given(
    kind=SMOOTHED_KINDS,
    strength=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**16),
    shift=st.tuples(st.floats(-3000, 3000), st.floats(-3000, 3000)),
)
def test_smoothing_a_moved_track_gives_the_moved_result(
    kind: str, strength: float, seed: int, shift: tuple[float, float]
) -> None:
    xy, scores = track(seed, 45, 100.0)
    box = Box(0.0, 0.0, 50.0, 100.0, 0.9)
    moved_box = Box(shift[0], shift[1], 50.0 + shift[0], 100.0 + shift[1], 0.9)
    expected = smoothed(kind, strength, xy, scores, box) + np.array(shift)
    np.testing.assert_allclose(
        smoothed(kind, strength, xy + np.array(shift), scores, moved_box), expected, atol=1e-6
    )


def test_smoothing_does_smooth() -> None:
    """The properties above would hold for a filter that did nothing: the output is not the input."""
    xy, scores = track(0, 45, 100.0)
    box = Box(0.0, 0.0, 50.0, 100.0, 0.9)
    for kind in ("oneeuro", "kalman", "ema"):
        out = smoothed(kind, 0.5, xy, scores, box)
        seen = scores >= 0.5
        assert np.abs(out - xy)[seen].mean() > 0.05, kind
