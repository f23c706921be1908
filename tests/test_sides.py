"""Trustworthy sides and angles within a track: left/right swaps injected into a real keypoint sequence are
repaired, a real change of side (a person turning round) is not, and signed angles stay continuous."""

from __future__ import annotations

import numpy as np
import pytest

from pose_demo import AnalysisOptions, UniModel
from pose_demo.exercises.tracks import track_series
from pose_demo.results import Box, Person
from pose_demo.tracking.sides import (
    SIDE_PAIRS,
    SideKeeper,
    continue_degrees,
    is_swapped,
    repair_swaps,
    swap_sides,
    unwrap_degrees,
)
from pose_demo.video import VideoOptions, process_video
from tests.conftest import VIDEOS


@pytest.fixture(scope="module")
def raise_keypoints(fast_model: UniModel) -> np.ndarray:
    """The man doing lateral raises, front view (arms apart): 60 frames (2 s) of his track, all seen."""
    options = VideoOptions(AnalysisOptions(), max_frames=60, output_scale=0.5)
    run = process_video(fast_model, VIDEOS / "sports2d_demo5_dumbbell_lateral_raise.mp4", None, options)
    _, tracks = track_series((f.time, f.persons) for f in run.frames)
    keypoints = max(tracks.values(), key=lambda k: np.count_nonzero(k[..., 2].max(axis=1)))
    assert (keypoints[..., 2].max(axis=1) > 0).all()
    return keypoints


def test_swap_sides_exchanges_every_pair() -> None:
    keypoints = np.arange(17 * 3, dtype=float).reshape(17, 3)
    swapped = swap_sides(keypoints)
    assert len(SIDE_PAIRS) == 8 and np.array_equal(swapped[0], keypoints[0])  # the nose stays
    for left, right in SIDE_PAIRS:
        assert np.array_equal(swapped[left], keypoints[right]) and np.array_equal(
            swapped[right], keypoints[left]
        )
    assert np.array_equal(swap_sides(swapped), keypoints)


def test_injected_swaps_are_repaired(raise_keypoints: np.ndarray) -> None:
    assert not repair_swaps(raise_keypoints)[1].any()  # the real sequence has none
    injected = raise_keypoints.copy()
    frames = [20, 21, 22, 23, 40]
    injected[frames] = swap_sides(raise_keypoints[frames])
    repaired, swapped = repair_swaps(injected)
    assert np.flatnonzero(swapped).tolist() == frames
    assert np.array_equal(repaired, raise_keypoints)


def test_a_real_change_of_side_is_kept(raise_keypoints: np.ndarray) -> None:
    """The man turning round in 1 s (every joint's x mirrored, gradually, about his centre line): at the
    end his left side is where his right was, and no frame is taken for a swap."""
    pose = raise_keypoints[0]
    centre = np.median(pose[:, 0])
    turn = np.repeat(pose[None], 31, axis=0)
    turn[:, :, 0] = centre + (pose[:, 0] - centre) * np.cos(np.linspace(0, np.pi, 31))[:, None]
    repaired, swapped = repair_swaps(turn)
    assert not swapped.any() and np.array_equal(repaired, turn)
    assert is_swapped(turn[0], turn[-1])  # while the same pose at once would be one


def test_side_keeper_repairs_per_track(raise_keypoints: np.ndarray) -> None:
    keeper = SideKeeper()
    box = Box(0, 0, 100, 200, 0.9)
    out = []
    for i, k in enumerate(raise_keypoints[:30]):
        shown = swap_sides(k) if 10 <= i < 15 else k
        persons = [Person(box, 0.9, shown, track_id=1), Person(box, 0.9, swap_sides(k), track_id=2)]
        out.append(keeper.apply(persons))
    assert all(np.array_equal(ps[0].keypoints, k) for ps, k in zip(out, raise_keypoints, strict=False))
    # track 2 was swapped from its first frame on: that is its assignment, kept as it is
    assert all(
        np.array_equal(ps[1].keypoints, swap_sides(k)) for ps, k in zip(out, raise_keypoints, strict=False)
    )
    keeper.forget([1, 2])
    assert (
        keeper.apply([Person(box, 0.9, swap_sides(raise_keypoints[0]), track_id=1)])[0].keypoints[5, 0]
        == (raise_keypoints[0][6, 0])
    )  # a new track: nothing to compare with


def test_angles_stay_continuous() -> None:
    values = np.array([170.0, 179.0, -179.0, np.nan, -170.0, 175.0, -90.0])
    assert unwrap_degrees(values)[[0, 1, 2, 4, 5]].tolist() == [170.0, 179.0, 181.0, 190.0, 175.0]
    assert np.isnan(unwrap_degrees(values)[3])
    assert unwrap_degrees(values)[6] == 270.0
    assert continue_degrees(179.0, -179.0) == 181.0
    assert continue_degrees(-178.0, 179.0) == -181.0
    assert continue_degrees(None, -179.0) == -179.0 and continue_degrees(10.0, None) is None
    assert continue_degrees(20.0, 25.0) == 25.0
