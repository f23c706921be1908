"""Joints that stay put (issue 28, item 3): bone-length outliers of a track caught and repaired, a real change
of length taken after one frame, the stream keeper giving the offline result frame by frame."""

from __future__ import annotations

import numpy as np
import pytest

from pose_demo.geometry import joint_angle, make_keypoints
from pose_demo.results import Box, Person
from pose_demo.skeleton import COCO17
from pose_demo.tracking.bones import (
    BoneKeeper,
    BoneOptions,
    bone_lengths,
    bone_variation,
    repair_track,
    running_median,
)

SHOULDER = COCO17.keypoints.index("left_shoulder")
WRIST = COCO17.keypoints.index("left_wrist")
ELBOW = COCO17.keypoints.index("left_elbow")


def _track(frames: int = 60, seed: int = 0) -> np.ndarray:
    """A person seen side on doing curls: the left forearm swings about the elbow, the body walks right;
    bones of constant length, keypoints with half a pixel of noise. (frames, 17, 3)."""
    rng = np.random.default_rng(seed)
    poses = []
    for i in range(frames):
        x, angle = 200 + 2 * i, np.radians(30 + 100 * (1 + np.sin(i / 6)) / 2)
        elbow = (x, 260)
        points = {
            "nose": (x, 130),
            "left_shoulder": (x, 160),
            "right_shoulder": (x + 4, 160),
            "left_elbow": elbow,
            "right_elbow": (x + 4, 260),
            "left_wrist": (elbow[0] + 90 * np.sin(angle), elbow[1] + 90 * np.cos(angle)),
            "right_wrist": (x + 4, 350),
            "left_hip": (x, 330),
            "right_hip": (x + 4, 330),
            "left_knee": (x + 10, 450),
            "right_knee": (x + 14, 450),
            "left_ankle": (x, 570),
            "right_ankle": (x + 4, 570),
        }
        poses.append(make_keypoints(points, score=0.9))
    track = np.stack(poses)
    track[..., :2] += rng.normal(0, 0.5, track[..., :2].shape)
    return track


def test_bone_lengths_and_running_median() -> None:
    track = _track(3)
    lengths = bone_lengths(track)
    assert lengths.shape == (3, 8)
    np.testing.assert_allclose(lengths[:, 0], 100, atol=2)  # left upper arm
    hidden = track.copy()
    hidden[1, WRIST, 2] = 0.05
    assert np.isnan(bone_lengths(hidden)[1, 4]) and not np.isnan(bone_lengths(hidden)[1, 0])
    values = np.array([[1.0], [np.nan], [3.0], [10.0], [2.0]])
    np.testing.assert_allclose(
        running_median(values, window=3, min_seen=2)[:, 0], [np.nan, np.nan, np.nan, 2.0, 6.5]
    )


def test_a_clean_track_is_left_alone() -> None:
    track = _track()
    repaired, moved = repair_track(track)
    assert not moved.any()
    np.testing.assert_array_equal(repaired, track)


def test_an_injected_wrist_outlier_is_repaired() -> None:
    """The wrist jumps to the back for one frame (the forearm twice as long): it is put back at the
    forearm and elbow angle it had the frame before, on this frame's upper arm; nothing else moves."""
    track = _track()
    injected = track.copy()
    injected[30, WRIST, :2] = track[30, ELBOW, :2] + [-150, -60]
    repaired, moved = repair_track(injected)
    assert np.argwhere(moved).tolist() == [[30, WRIST]]
    forearm = 4  # the left forearm in BONES
    # the forearm and the elbow angle it had the frame before, hung from this frame's elbow
    assert bone_lengths(repaired[30])[forearm] == pytest.approx(bone_lengths(track[29])[forearm])
    elbow_angle = [joint_angle(*pose[[SHOULDER, ELBOW, WRIST]]) for pose in (repaired[30], track[29])]
    assert elbow_angle[0] == pytest.approx(elbow_angle[1])
    assert np.linalg.norm(repaired[30, WRIST, :2] - track[30, WRIST, :2]) < 20  # one frame of swing
    np.testing.assert_array_equal(np.delete(repaired, 30, axis=0), np.delete(track, 30, axis=0))
    assert np.std(bone_lengths(repaired)[:, forearm]) < np.std(bone_lengths(injected)[:, forearm]) / 3


def test_bone_variation_is_the_median_coefficient_of_variation() -> None:
    track = _track()
    assert bone_variation(track) < 0.01  # constant bones, half a pixel of noise
    scaled = track.copy()
    scaled[::2, :, :2] *= 1.2  # every other frame 20 % larger: every bone varies by about 9 %
    assert bone_variation(scaled) == pytest.approx(0.09, abs=0.01)
    assert np.isnan(bone_variation(track[:5]))  # too few frames


def test_an_elbow_outlier_is_repaired_before_its_forearm() -> None:
    track = _track()
    injected = track.copy()
    injected[40, ELBOW, :2] += [70, 70]
    repaired, moved = repair_track(injected)
    assert np.argwhere(moved).tolist() == [
        [40, ELBOW]
    ]  # the wrist, judged from the repaired elbow, is in line
    assert np.linalg.norm(repaired[40, ELBOW, :2] - track[40, ELBOW, :2]) < 5


def test_a_lasting_change_is_taken_after_max_run_frames() -> None:
    """The forearm turns towards the camera and looks half as long from frame 30 on: frame 30 is held at
    the old length, the later frames are taken as they are."""
    track = _track()
    shortened = track.copy()
    shortened[30:, WRIST, :2] = (track[30:, ELBOW, :2] + track[30:, WRIST, :2]) / 2
    repaired, moved = repair_track(shortened, BoneOptions(max_run=1))
    assert np.flatnonzero(moved[:, WRIST]).tolist() == [30]
    np.testing.assert_array_equal(repaired[31:], shortened[31:])


def test_the_keeper_gives_the_offline_result_frame_by_frame() -> None:
    options = BoneOptions(window=8, min_seen=3, max_run=2)
    track = _track(50, seed=1).astype(np.float32)
    rng = np.random.default_rng(2)
    for frame in rng.choice(np.arange(10, 50), 8, replace=False):  # outliers, some next to each other
        joint = rng.choice([ELBOW, WRIST, COCO17.keypoints.index("right_ankle")])
        track[frame, joint, :2] += rng.uniform(60, 120, 2)
    track[20:23, WRIST, 2] = 0.05  # the wrist unseen for a while
    offline, moved = repair_track(track, options)
    assert moved.any()
    keeper = BoneKeeper(options)
    box = Box(0, 0, 400, 600, 0.9)
    for i, pose in enumerate(track):
        person = keeper.apply([Person(box=box, score=0.9, keypoints=pose, track_id=7)])[0]
        np.testing.assert_allclose(person.keypoints, offline[i], atol=1e-3, err_msg=f"frame {i}")
    keeper.forget([7])
    untracked = Person(box=box, score=0.9, keypoints=track[0])
    assert keeper.apply([untracked])[0] is untracked


@pytest.mark.parametrize(
    "kwargs", [{"window": 3, "min_seen": 4}, {"max_run": 0}, {"tolerance": 0.0}, {"min_score": 1.5}]
)
def test_options_are_checked(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        BoneOptions(**kwargs)
