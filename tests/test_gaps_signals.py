"""Signals checked against an independent computation (issue 30: mutants of ``pose_demo/exercises/signals.py``
that the other tests let through): every measure of a track, frame by frame, equals the rule engine's
one-picture measure (``rules.ruleset``) with the track's body scale; sides combined as said; the running
median exact; a track's scale where its torso is unseen."""

from __future__ import annotations

import numpy as np
import pytest

from pose_demo.exercises.schema import Signal, mirrored
from pose_demo.exercises.signals import (
    hip_x_per_torso,
    measure_series,
    median_smooth,
    mirror,
    signal_series,
    track_scale,
)
from pose_demo.geometry import point
from pose_demo.rules.ruleset import _measure as picture_measure
from pose_demo.rules.schema import Measure
from pose_demo.skeleton import COCO17

MIN_SCORE = 0.5  # not the default (0.3): a measure must use the score it is given

MEASURES = [
    Measure("joint_angle", ("left_hip", "left_knee", "left_ankle")),
    Measure("segment_angle", ("mid_hip", "neck"), "horizontal"),
    Measure("segment_angle", ("left_shoulder", "left_wrist"), "vertical"),
    Measure("relative_position", ("left_wrist", "left_shoulder"), "y"),
    Measure("relative_position", ("left_wrist", "left_shoulder"), "x"),
    Measure("relative_position", ("nose", "neck"), "forward"),
    Measure("distance_ratio", ("left_ankle", "right_ankle"), None),
    Measure("distance_ratio", ("left_ankle", "right_ankle"), "x"),
    Measure("distance_ratio", ("left_wrist", "right_wrist"), "y"),
    Measure(
        "symmetry",
        parts=(
            Measure("joint_angle", ("left_shoulder", "left_elbow", "left_wrist")),
            Measure("joint_angle", ("right_shoulder", "right_elbow", "right_wrist")),
        ),
    ),
]


@pytest.fixture(scope="module")
def track() -> np.ndarray:
    """200 frames of a person with jittered joints and scores from 0 to 1 (some frames' hips unseen)."""
    rng = np.random.default_rng(7)
    base = np.array([[200 + 20 * (i % 5), 100 + 25 * i] for i in range(len(COCO17.keypoints))], float)
    xy = base + rng.normal(0, 30, (200, len(COCO17.keypoints), 2))
    scores = rng.uniform(0.2, 1.0, (200, len(COCO17.keypoints), 1))
    return np.concatenate([xy, scores], axis=-1)


def _scale(keypoints: np.ndarray) -> np.ndarray:
    """The track's body scale computed by hand: the torso where both shoulders and hips score enough, else
    the median of those torsos."""
    neck, hip = point(keypoints, "neck"), point(keypoints, "mid_hip")
    seen = (neck[:, 2] >= MIN_SCORE) & (hip[:, 2] >= MIN_SCORE)
    torso = np.hypot(*(neck[:, :2] - hip[:, :2]).T)
    return np.where(seen, torso, np.median(torso[seen]))


def test_the_track_scale_is_the_torso_or_the_tracks_median_torso(track: np.ndarray) -> None:
    expected = _scale(track)
    assert np.allclose(track_scale(track, MIN_SCORE), expected)
    assert (
        np.sum(expected != np.hypot(*(point(track, "neck")[:, :2] - point(track, "mid_hip")[:, :2]).T)) > 20
    )
    x, torso = hip_x_per_torso(track, MIN_SCORE)
    hip = point(track, "mid_hip")
    assert np.array_equal(np.isnan(x), hip[:, 2] < MIN_SCORE)
    assert np.allclose(x[~np.isnan(x)], hip[hip[:, 2] >= MIN_SCORE, 0])
    assert torso == pytest.approx(np.median(expected))


@pytest.mark.parametrize("m", MEASURES, ids=lambda m: f"{m.primitive}-{m.option}-{'-'.join(m.points)}")
def test_every_measure_is_the_pictures_measure_frame_by_frame(track: np.ndarray, m: Measure) -> None:
    series = measure_series(m, track, MIN_SCORE, trusted=False)
    scale = _scale(track)
    by_picture = np.array([picture_measure(m, k, s, MIN_SCORE) for k, s in zip(track, scale, strict=True)])
    assert np.array_equal(np.isnan(series), np.isnan(by_picture))
    known = ~np.isnan(series)
    assert 5 < known.sum() < len(track)  # some frames judged, some not (scores under 0.5)
    if m.primitive == "segment_angle":  # made continuous along the track: equal up to whole turns
        assert np.allclose((series[known] - by_picture[known] + 180) % 360 - 180, 0, atol=1e-9)
    else:
        assert np.allclose(series[known], by_picture[known])


def test_trusted_symmetry_drops_an_impossible_elbow(track: np.ndarray) -> None:
    """A left elbow folded under 30 degrees is not measured, so neither is the left-right difference."""
    m = MEASURES[-1]
    folded = track.copy()
    for k in ("left_shoulder", "left_elbow", "left_wrist", "right_shoulder", "right_elbow", "right_wrist"):
        folded[:, COCO17.index(k), 2] = 1.0
    wrist, elbow = COCO17.index("left_wrist"), COCO17.index("left_elbow")
    shoulder = COCO17.index("left_shoulder")
    folded[::2, wrist, :2] = folded[::2, elbow, :2] + 0.9 * (
        folded[::2, shoulder, :2] - folded[::2, elbow, :2]
    )
    untrusted, trusted = (measure_series(m, folded, MIN_SCORE, t) for t in (False, True))
    assert not np.isnan(untrusted[::2]).any() and np.isnan(trusted[::2]).all()
    assert np.isnan(measure_series(m.parts[0], folded, MIN_SCORE)[::2]).all()


@pytest.mark.parametrize("sides", ["min", "max", "mean"])
def test_sides_combine_the_sides_known_in_a_frame(track: np.ndarray, sides: str) -> None:
    m = MEASURES[0]
    signal = Signal(m, sides)
    left, right = (measure_series(x, track, MIN_SCORE, trusted=False) for x in (m, mirror(m)))
    assert (
        mirror(m).points == tuple(mirrored(p) for p in m.points) == ("right_hip", "right_knee", "right_ankle")
    )
    both = np.stack([left, right])
    combine = {"min": np.nanmin, "max": np.nanmax, "mean": np.nanmean}[sides]
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):  # frames with neither side: NaN
        expected = combine(both, axis=0)
    assert np.allclose(signal_series(signal, track, MIN_SCORE, trusted=False), expected, equal_nan=True)
    assert np.isnan(expected).any() and (np.isnan(left) != np.isnan(right)).any()
    assert (~np.isnan(both)).all(axis=0).sum() >= 5 and not np.allclose(left, right, equal_nan=True)
    assert np.allclose(signal_series(Signal(m), track, MIN_SCORE, trusted=False), left, equal_nan=True)


def test_mirror_swaps_the_sides_of_every_part() -> None:
    m = MEASURES[-1]
    assert [p.points for p in mirror(m).parts] == [
        ("right_shoulder", "right_elbow", "right_wrist"),
        ("left_shoulder", "left_elbow", "left_wrist"),
    ]
    assert mirror(MEASURES[1]) == MEASURES[1] and mirror(MEASURES[5]).option == "forward"


def test_the_running_median_is_centred_and_keeps_gaps() -> None:
    """0.2 s at 20 frames/s: a 5-frame median (2 frames each side); unknown frames stay unknown and are
    left out of their neighbours' windows; too few frames or too coarse a rate: unchanged."""
    values = np.array([0.0, 0.0, 9.0, 0.0, 1.0, 2.0, np.nan, 3.0, 4.0, 5.0, 6.0])
    times = np.arange(len(values)) / 20
    expected = [0.0, 0.0, 0.0, 1.0, 1.5, 1.5, np.nan, 3.5, 4.5, 4.5, 5.0]
    assert np.allclose(median_smooth(values, times), expected, equal_nan=True)
    assert np.allclose(
        median_smooth(values, times, window_s=0.1),
        [0, 0, 0, 1, 1, 1.5, np.nan, 3.5, 4, 5, 5.5],
        equal_nan=True,
    )
    assert np.array_equal(median_smooth(values, times * 10), values, equal_nan=True)  # 2 frames/s: 1 frame
    assert np.array_equal(median_smooth(values[:2], times[:2]), values[:2])
    assert np.array_equal(median_smooth(values, np.zeros(len(values))), values, equal_nan=True)
