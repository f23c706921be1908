"""Tracking and smoothing (issue 30, gaps 8 and 9).

- The tracker matches a detection to a track only from an IoU of 0.3: a box overlapping a track's by 0.25
  starts a new (tentative) track, one overlapping by 0.43 keeps the track's id.
- Two persons are one (a duplicate dropped) only when their poses lie within 0.1 box diagonals: two
  persons 0.2 diagonals apart are both kept, two 0.05 apart are one.
- Smoothing works in box heights: a track scaled by ``k`` (a 100 px box and a 1000 px box) is smoothed
  into the scaled result, and a track moved is smoothed into the moved result (hypothesis properties).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pose_demo.results import MIN_KEYPOINT_SCORE, Box, Person
from pose_demo.tracking import Tracker, make_smoother
from pose_demo.tracking.smoothing import NoFilter, OneEuroFilter, PoseSmoother, filter_factory, lowpass_alpha
from pose_demo.tracking.tracker import (
    PersonLinker,
    _box_to_z,
    _new_filter,
    _x_to_box,
    box_from_keypoints,
    iou_matrix,
    link_distance,
    pose_distance,
)

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


# ---------------------------------------------------------------- smoothing against its equations


@pytest.mark.parametrize(
    ("strength", "oneeuro", "ema", "kalman"),
    [
        (0.0, (2.0, 200.0), 0.01, 30.0),
        (0.5, (np.sqrt(0.6), np.sqrt(3200.0)), np.sqrt(0.003), 3.0),
        (1.0, (0.3, 16.0), 0.3, 0.3),
        (-1.0, (2.0, 200.0), 0.01, 30.0),  # clipped to 0 .. 1
        (2.0, (0.3, 16.0), 0.3, 0.3),
    ],
)
def test_strength_sets_each_filter_geometrically_between_its_ends(
    strength: float, oneeuro: tuple[float, float], ema: float, kalman: float
) -> None:
    assert filter_factory("oneeuro", strength).keywords == pytest.approx(
        {"min_cutoff": oneeuro[0], "beta": oneeuro[1], "d_cutoff": 1.0}
    )
    assert filter_factory("ema", strength).keywords == pytest.approx({"tau": ema})
    assert filter_factory("kalman", strength).keywords == pytest.approx(
        {"accel_std": kalman, "measure_std": 0.01}
    )
    assert filter_factory("none", strength) is NoFilter


def alpha(dt: float, cutoff: np.ndarray | float) -> np.ndarray | float:
    """A first-order low-pass's weight of the new sample: dt / (dt + tau), tau = 1 / (2 pi cutoff)."""
    tau = 1 / (2 * np.pi * cutoff)
    return dt / (dt + tau)


def reference(kind: str, strength: float, xy: np.ndarray, valid: np.ndarray, times: np.ndarray, scale: float):
    """The filters' equations written out per keypoint coordinate (x: position, v: speed, P: covariance),
    with the gating of the module's docstring: an invalid keypoint passes raw and restarts when seen."""
    settings = filter_factory(kind, strength).keywords
    out = xy.copy()
    x = np.zeros(xy.shape[1:])
    v = np.zeros(xy.shape[1:])
    p = np.zeros((*xy.shape[1:], 2, 2))
    active = np.zeros(xy.shape[1], bool)
    m = 0.01 * scale  # Kalman's measurement noise (box heights -> px)
    for i, z in enumerate(xy):
        keep, start = valid[i] & active, valid[i] & ~active
        if i and keep.any():
            dt = times[i] - times[i - 1]
            if kind == "ema":
                x[keep] += (1 - np.exp(-dt / settings["tau"])) * (z[keep] - x[keep])
            elif kind == "oneeuro":
                v[keep] += alpha(dt, 1.0) * ((z[keep] - x[keep]) / dt - v[keep])
                cutoff = settings["min_cutoff"] + settings["beta"] * np.abs(v[keep]) / scale
                x[keep] += alpha(dt, cutoff) * (z[keep] - x[keep])
            else:
                f = np.array([[1.0, dt], [0.0, 1.0]])
                q = (settings["accel_std"] * scale) ** 2 * np.array(
                    [[dt**4 / 4, dt**3 / 2], [dt**3 / 2, dt**2]]
                )
                for k in np.flatnonzero(keep):
                    for c in range(2):
                        state = f @ [x[k, c], v[k, c]]
                        cov = f @ p[k, c] @ f.T + q
                        gain = cov[:, 0] / (cov[0, 0] + m**2)
                        state = state + gain * (z[k, c] - state[0])
                        p[k, c] = cov - np.outer(gain, cov[0])
                        x[k, c], v[k, c] = state
            out[i][keep] = x[keep]
        x[start], v[start] = z[start], 0.0
        p[start] = np.diag([m**2, scale**2])
        active = valid[i].copy()
    return out


@pytest.mark.parametrize("kind", ["oneeuro", "ema", "kalman"])
@pytest.mark.parametrize("strength", [0.0, 0.7])
def test_each_filter_follows_its_equations(kind: str, strength: float) -> None:
    """A 150 px tall person over 40 frames at uneven times, some keypoints lost now and then."""
    xy, scores = track(7, 40, 150.0)
    times = np.cumsum(np.random.default_rng(8).uniform(0.02, 0.07, 40))
    box = Box(0.0, 0.0, 60.0, 150.0, 0.9)
    smoother = make_smoother(kind, strength)
    got = []
    for frame, score, time in zip(xy, scores, times, strict=True):
        (person,) = smoother.apply([Person(box, 0.9, np.column_stack([frame, score]), track_id=1)], time)
        got.append(person.keypoints[:, :2])
    expected = reference(kind, strength, xy, scores >= MIN_KEYPOINT_SCORE, times, 150.0)
    np.testing.assert_allclose(np.array(got), expected, rtol=1e-9, atol=1e-6)


def test_lowpass_alpha_is_the_weight_of_a_first_order_low_pass() -> None:
    for dt, cutoff in [(1 / 30, 1.0), (0.1, 0.3), (0.02, 5.0)]:
        assert lowpass_alpha(dt, cutoff) == pytest.approx(alpha(dt, cutoff), rel=1e-12)


def test_a_flat_box_is_smoothed_as_one_a_pixel_high() -> None:
    """Box heights below 1 px count as 1 px (no division by zero); the result is that of a 1 px box, and
    from 1 px up the box height is the scale (a 1.5 px box: the 150 px box's result a hundredth the size)."""
    xy, scores = track(3, 20, 1.0)
    flat, one = Box(0.0, 0.0, 5.0, 0.0, 0.9), Box(0.0, 0.0, 5.0, 1.0, 0.9)
    np.testing.assert_allclose(
        smoothed("oneeuro", 0.5, xy, scores, flat), smoothed("oneeuro", 0.5, xy, scores, one)
    )
    assert np.abs(smoothed("oneeuro", 0.5, xy, scores, one) - xy)[scores >= 0.5].mean() > 1e-3
    small, large = Box(0.0, 0.0, 1.0, 1.5, 0.9), Box(0.0, 0.0, 100.0, 150.0, 0.9)
    np.testing.assert_allclose(
        100 * smoothed("oneeuro", 0.5, xy, scores, small), smoothed("oneeuro", 0.5, 100 * xy, scores, large)
    )


def test_the_smoother_gates_on_its_score_threshold() -> None:
    """A keypoint scoring exactly the threshold is smoothed, one just below passes raw (0.3 by default)."""
    start = pose(BOX)
    moved_pose = start.copy()
    moved_pose[:, :2] += 20.0
    moved_pose[0, 2], moved_pose[1, 2] = MIN_KEYPOINT_SCORE, np.nextafter(np.float32(MIN_KEYPOINT_SCORE), 0)
    for smoother in (make_smoother("ema"), PoseSmoother(filter_factory("ema", 0.5))):
        smoother.apply([Person(BOX, 0.9, start, track_id=1)], 0.0)
        (out,) = smoother.apply([Person(BOX, 0.9, moved_pose, track_id=1)], 0.1)
        assert np.all(out.keypoints[0, :2] < moved_pose[0, :2] - 1.0)  # smoothed: behind
        np.testing.assert_array_equal(out.keypoints[1, :2], moved_pose[1, :2])  # raw
    assert make_smoother("ema").new_filter.keywords == filter_factory("ema", 0.5).keywords
    assert make_smoother("ema", 0.2, score_thr=0.6).score_thr == 0.6


def test_persons_without_a_track_pass_raw_wherever_they_are_listed() -> None:
    smoother = make_smoother("ema")
    keypoints = pose(BOX)
    tracked, untracked = Person(BOX, 0.9, keypoints, track_id=1), Person(BOX, 0.9, keypoints)
    first = smoother.apply([untracked, tracked], 0.0)
    assert first[0] is untracked and first[1].track_id == 1
    later = replace(tracked, keypoints=keypoints + np.array([30.0, 0.0, 0.0], np.float32))
    out = smoother.apply([untracked, later, untracked], 0.1)
    assert out[0] is untracked and out[2] is untracked
    assert np.all(out[1].keypoints[:, 0] < later.keypoints[:, 0] - 1.0)  # smoothed: behind
    smoother.forget([1, 7])  # a track it never saw is no error
    assert smoother.track_ids == []


def test_an_unknown_smoothing_is_refused_with_the_choices() -> None:
    with pytest.raises(
        ValueError, match=r"^unknown smoothing 'median'; choose one of oneeuro, ema, kalman, none$"
    ):
        filter_factory("median", 0.5)
    assert OneEuroFilter(1.0, 0.0).d_cutoff == 1.0  # the speed's own low-pass: 1 Hz unless told


def test_a_repeated_timestamp_is_refused_with_both_times() -> None:
    smoother = make_smoother("ema")
    smoother.apply([Person(BOX, 0.9, pose(BOX), track_id=1)], 2.0)
    with pytest.raises(ValueError, match=r"^timestamps must increase: got 1\.5 after 2\.0$"):
        smoother.apply([Person(BOX, 0.9, pose(BOX), track_id=1)], 1.5)


# ---------------------------------------------------------------- the tracker's filter and its edges


def test_the_box_filter_has_sorts_settings() -> None:
    """SORT's noise settings (Bewley et al., 2016): the state (cx, cy, area, aspect, vcx, vcy, varea)."""
    kf = _new_filter(Box(10.0, 20.0, 40.0, 80.0))
    np.testing.assert_array_equal(kf.x[:, 0], [25.0, 50.0, 1800.0, 0.5, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(kf.F, np.eye(7) + np.eye(7, k=4))
    np.testing.assert_array_equal(kf.H, np.eye(4, 7))
    np.testing.assert_array_equal(kf.R, np.diag([1.0, 1.0, 10.0, 10.0]))
    np.testing.assert_array_equal(kf.P, np.diag([10.0] * 4 + [1e4] * 3))
    np.testing.assert_allclose(kf.Q, np.diag([1.0] * 4 + [0.01, 0.01, 1e-4]), rtol=1e-12)


def test_a_box_and_its_state_convert_both_ways() -> None:
    box = Box(10.0, 20.0, 40.0, 80.0)
    np.testing.assert_allclose(_x_to_box(_box_to_z(box)).as_xyxy(), box.as_xyxy())
    flat = _box_to_z(Box(5.0, 5.0, 5.0, 5.0))  # no width, no height: 1e-3 each
    np.testing.assert_allclose(flat, [5.0005, 5.0005, 1e-6, 1.0])
    gone = _x_to_box(np.array([50.0, 60.0, -4.0, 2.0]))  # a negative area: a 1e-6 box at the centre
    np.testing.assert_allclose(gone.as_xyxy(), [50.0, 60.0, 50.0, 60.0], atol=1e-3)
    assert gone.width * gone.height == pytest.approx(1e-6, rel=1e-6)


def walk(tracker: Tracker, frames: int, width: Callable[[int], float], x: Callable[[int], float]) -> None:
    """One person for ``frames`` frames at 30 fps: a box 2 x ``width(i)`` tall at ``x(i)``."""
    for i in range(frames):
        w = width(i)
        tracker.update([Person(Box(x(i), 100.0, x(i) + w, 100.0 + 2 * w, 0.9), 0.9, pose(BOX))], i / FPS)


def test_a_prediction_moves_with_the_time_even_within_a_frame() -> None:
    tracker = Tracker()
    walk(tracker, 20, lambda i: 50.0, lambda i: 100.0 + 6 * i)  # 180 px/s
    last = 100.0 + 6 * 19 + 25
    for ahead, expected in [(0.0, last), (0.5, last + 3), (4.0, last + 24)]:
        ((track_id, box),) = tracker.predict_boxes((19 + ahead) / FPS)
        assert track_id == 1 and (box.x1 + box.x2) / 2 == pytest.approx(expected, abs=0.5), ahead


def test_a_shrinking_box_predicted_far_ahead_stops_shrinking() -> None:
    """A person walking away (the box 2 px narrower a frame): a second later the area would be negative;
    the prediction keeps the box as it was last seen instead."""
    tracker = Tracker()
    walk(tracker, 15, lambda i: 80.0 - 2 * i, lambda i: 100.0)
    ((_, box),) = tracker.predict_boxes(15 / FPS + 1.0)
    assert box.width == pytest.approx(52.0, abs=2.0) and box.height == pytest.approx(104.0, abs=4.0)
    ((_, later),) = tracker.predict_boxes(15 / FPS + 10.0)
    assert (later.width, later.height) == pytest.approx((box.width, box.height), rel=1e-9)


def test_the_uncertainty_of_a_prediction_grows_with_the_frames_it_spans() -> None:
    """SORT's noise is per frame at 30 fps: over 5 frames' time the filter adds 5 times its process noise
    (P = F P F' + 5 Q), whatever the frame rate it is fed at."""
    tracker = Tracker()
    tracker.update([person_at(100.0)], 0.0)
    (track,) = tracker._tracks
    before, q = track.kf.P.copy(), track.kf.Q.copy()
    tracker.predict_boxes(5 / FPS)
    f = np.eye(7) + 5 * np.eye(7, k=4)
    np.testing.assert_allclose(track.kf.P, f @ before @ f.T + 5 * q, rtol=1e-9)


def test_a_detection_on_the_iou_threshold_takes_the_track() -> None:
    tracker = Tracker()
    walk(tracker, 5, lambda i: 50.0, lambda i: 100.0)
    ((_, predicted),) = tracker.predict_boxes(5 / FPS)
    jumped = moved(Box(100.0, 100.0, 150.0, 200.0, 0.9), 25.0)
    boxes = [np.array([b.as_xyxy()], np.float64) for b in (predicted, jumped)]
    tracker.iou_threshold = float(iou_matrix(*boxes)[0, 0])  # the detection overlaps the track by this
    assert 0.2 < tracker.iou_threshold < 0.4
    (after,) = tracker.update([Person(jumped, 0.9, pose(jumped))], 5 / FPS)
    assert after.track_id == 1


def test_tracks_of_the_first_min_hits_detection_frames_are_confirmed_at_once() -> None:
    tracker = Tracker(min_hits=3)
    tracker.update([], 0.0)
    tracker.update([], 1 / FPS, detected=False)  # not a detection frame: not counted
    tracker.update([], 2 / FPS)
    (first,) = tracker.update([person_at(100.0)], 3 / FPS)  # the 3rd detection frame
    assert first.track_id == 1
    late = tracker.update([person_at(100.0), person_at(400.0)], 4 / FPS)  # the 4th
    assert [p.track_id for p in late] == [1, None]


def person_at(x: float, score: float = 0.9) -> Person:
    box = Box(x, 100.0, x + 100.0, 300.0, score)
    return Person(box, score, pose(box))


def test_tracks_live_and_die_one_by_one() -> None:
    """Past the first frames: a tentative track dies on its first miss, even listed before another that
    goes on to be confirmed; a confirmed track dies after ``max_age`` misses, and the others live on."""
    tracker = Tracker(min_hits=3, max_age=2)
    for i in range(3):  # the first frames: A and B are confirmed at once
        assert [p.track_id for p in tracker.update([person_at(0.0), person_at(300.0)], i / FPS)] == [1, 2]
    ids = [
        [p.track_id for p in tracker.update([person_at(300.0), person_at(600.0), person_at(900.0)], 3 / FPS)]
    ]
    for i in range(4, 8):  # C (at 600) missed once at frame 4, D (at 900) seen throughout; A gone
        persons = [person_at(300.0), person_at(900.0)] + ([person_at(600.0)] if i > 4 else [])
        ids.append([p.track_id for p in tracker.update(persons, i / FPS)])
    assert ids == [[2, None, None], [2, None], [2, 3, None], [2, 3, None], [2, 3, 4]]
    assert 1 not in [t.track_id for t in tracker._tracks]


def test_iou_of_boxes_under_a_pixel_and_of_empty_boxes() -> None:
    thin = np.array([[10.0, 10.0, 10.5, 10.5], [0.0, 0.0, 0.5, 20.0]])
    np.testing.assert_allclose(iou_matrix(thin, thin), [[1.0, 0.0], [0.0, 1.0]])
    empty = np.array([[5.0, 5.0, 5.0, 5.0]])
    assert iou_matrix(empty, empty)[0, 0] == 0.0


def test_of_two_duplicates_the_one_on_a_confirmed_track_is_kept() -> None:
    """The same pose in two boxes: the one overlapping the person's track wins over a higher score."""
    tracker = Tracker()
    for i in range(5):
        tracker.update([person_at(100.0)], i / FPS)
    on_track = person_at(100.0, score=0.6)
    beside = Person(moved(on_track.box, 40.0), 0.95, on_track.keypoints)  # its pose: the same
    (kept,) = tracker.update([beside, on_track], 5 / FPS)
    assert kept.score == 0.6 and kept.track_id == 1


def test_poses_are_compared_on_five_shared_joints_per_the_larger_diagonal() -> None:
    one = Person(BOX, 0.9, pose(BOX))
    other = Person(Box(100.0, 100.0, 400.0, 500.0, 0.9), 0.9, pose(BOX).copy())
    other.keypoints[:, 0] += 25.0
    assert pose_distance(one, other) == pytest.approx(25.0 / 500.0)  # the larger box: 300 x 400
    other.keypoints[:12, 2] = 0.1  # 5 joints confident in both
    assert pose_distance(one, other) == pytest.approx(25.0 / 500.0)
    other.keypoints[12, 2] = MIN_KEYPOINT_SCORE - 0.01  # 4
    assert pose_distance(one, other) == np.inf
    other.keypoints[12, 2] = MIN_KEYPOINT_SCORE  # on the threshold: confident
    assert pose_distance(one, other) == pytest.approx(25.0 / 500.0)
    one.keypoints[12, 2] = MIN_KEYPOINT_SCORE  # on the threshold in both
    assert pose_distance(one, other) == pose_distance(other, one) == pytest.approx(25.0 / 500.0)
    assert pose_distance(one, other, score_thr=0.95) == np.inf
    dot = Box(10.0, 10.0, 10.0, 10.0, 0.9)  # no box at all: keypoints half a pixel apart are far apart
    shifted = pose(BOX)
    shifted[:, 0] += 0.5
    assert pose_distance(Person(dot, 0.9, pose(BOX)), Person(dot, 0.9, shifted)) == pytest.approx(0.5 / 1e-6)


def test_two_poses_exactly_a_tenth_of_the_diagonal_apart_are_two() -> None:
    box = Box(100.0, 100.0, 160.0, 180.0, 0.9)  # 60 x 80: a diagonal of 100 px
    one = Person(box, 0.9, pose(box))
    other = Person(moved(box, 10.0), 0.8, pose(box) + np.array([10.0, 0.0, 0.0], np.float32))
    assert pose_distance(one, other) == 0.1
    assert len(Tracker().update([one, other], 0.0)) == 2


def test_a_box_from_keypoints_needs_three_confident_ones_spanning_both_ways() -> None:
    keypoints = np.zeros((17, 3), np.float32)
    keypoints[:3] = [[10.0, 20.0, MIN_KEYPOINT_SCORE], [30.0, 60.0, 0.9], [20.0, 40.0, 0.9]]
    box = box_from_keypoints(keypoints)  # the first on the threshold: confident; padded by a tenth
    assert box is not None and box.as_xyxy() == pytest.approx([8.0, 16.0, 32.0, 64.0])
    for line in ([[10, 20], [10, 60], [10, 40]], [[10, 20], [30, 20], [20, 20]]):  # no width, no height
        keypoints[:3, :2] = line
        assert box_from_keypoints(keypoints) is None
    keypoints[:3, :2] = [[10.0, 20.0], [10.5, 60.0], [10.2, 40.0]]  # half a pixel wide
    assert box_from_keypoints(keypoints) is not None
    keypoints[:3, :2] = [[10.0, 20.0], [50.0, 20.5], [30.0, 20.2]]  # half a pixel high
    assert box_from_keypoints(keypoints) is not None


# ---------------------------------------------------------------- one person across track fragments


def box_at(x: float, height: float = 200.0) -> Box:
    return Box(x, 100.0, x + height / 2, 100.0 + height, 0.9)


@pytest.mark.parametrize(
    ("new", "distance"),
    [
        (box_at(0.0), 0.0),
        (box_at(60.0), 0.3),
        (box_at(100.0), 0.5),  # half a box height away: still near
        (box_at(101.0), None),
        (box_at(0.0, 320.0), np.hypot(30.0, 60.0) / 320),  # 1.6 times the size: still near
        (box_at(0.0, 330.0), None),  # 1.65 times the size
        (box_at(0.0, 125.0), np.hypot(18.75, 37.5) / 200),  # 1.6 times smaller
        (box_at(0.0, 120.0), None),
    ],
)
def test_a_new_track_may_continue_a_lost_one_only_near_it_and_of_its_size(
    new: Box, distance: float | None
) -> None:
    found = link_distance(box_at(0.0), new)
    assert found == (None if distance is None else pytest.approx(distance, abs=1e-3))


def test_tiny_or_empty_boxes_are_compared_without_dividing_by_zero() -> None:
    assert link_distance(Box(10.0, 10.0, 10.0, 10.0), Box(10.3, 10.0, 10.3, 10.0)) is None  # far, for no box
    half = Box(10.0, 10.0, 10.5, 10.5)  # a quarter of a square pixel
    assert link_distance(half, half) == 0.0


def test_each_lost_person_is_continued_by_one_new_track_the_nearest_pairs_first() -> None:
    """Both persons are lost; of the new tracks 3 (nearest to A) and 4 (nearer to A than to B), 3
    continues A and 4 is left to B; a third new track near A continues nobody."""
    linker = PersonLinker()
    a, b = (
        Person(box_at(100.0), 0.9, pose(BOX), track_id=1),
        Person(box_at(160.0), 0.9, pose(BOX), track_id=2),
    )
    linker.update([a, b], 0.0)
    new = [replace(a, box=box_at(x), track_id=i) for i, x in ((3, 105.0), (4, 120.0), (5, 110.0))]
    assert linker.update(new, 1.0) == {3: 1, 4: 2, 5: 5}
    assert sorted(linker.links) == [(3, 1), (4, 2)]
    linker.forget([99])  # a track it never saw is no error


def test_a_track_starting_at_the_time_a_person_is_seen_is_someone_else() -> None:
    linker = PersonLinker()
    linker.update([Person(box_at(100.0), 0.9, pose(BOX), track_id=1)], 1.0)
    assert linker.update([Person(box_at(105.0), 0.9, pose(BOX), track_id=2)], 1.0) == {2: 2}


def test_a_lost_person_is_remembered_for_the_gap_and_no_longer() -> None:
    linker = PersonLinker(max_gap_s=2.0)
    tracked = Person(box_at(0.0), 0.9, pose(BOX), track_id=1)
    assert linker.update([tracked], 0.0) == {1: 1}
    assert linker.update([], 2.0) == {} and linker.remembered(1)  # exactly the gap: still remembered
    assert linker.update([replace(tracked, track_id=2)], 2.0) == {2: 1}
    assert linker.persons == {1: 1, 2: 1}
    linker.forget([1])
    assert linker.persons == {2: 1} and linker.remembered(1)  # the person, seen as track 2, is not forgotten
    linker.update([], 4.01)
    assert not linker.remembered(1)
    assert linker.update([replace(tracked, track_id=3)], 4.02) == {3: 3}


def test_the_tracker_starts_with_sorts_defaults_and_nothing_to_report() -> None:
    tracker = Tracker()
    assert (tracker.iou_threshold, tracker.min_hits, tracker.max_age) == (0.3, 3, 30)
    assert tracker.frame_time == pytest.approx(1 / 30) and tracker.dead_ids == []
    assert PersonLinker().links == [] and PersonLinker().max_gap_s == 3.0
