"""Compare's tolerance (issue 30, gap 10): by default a joint angle off by more than 10 degrees is reported,
one off by less is not. Two photos of a standing person, the athlete's left knee bent by a chosen angle
(the ankle turned about the knee), so the expected difference is known exactly."""

from __future__ import annotations

import numpy as np
import pytest

from pose_demo.compare.compare import compare_motions
from pose_demo.compare.motion import Motion
from pose_demo.geometry import make_keypoints
from pose_demo.skeleton import COCO17
from tests.test_rules_ruleset import STANDING_POINTS


def photo(name: str, keypoints: np.ndarray) -> Motion:
    return Motion(name, np.zeros(1, np.int64), np.zeros(1), keypoints[None], 1.0, photo=True)


def bent_knee(degrees: float) -> np.ndarray:
    """The standing person with the left shank turned ``degrees`` about the knee (the knee angle then is
    180 - ``degrees``: the standing leg is straight)."""
    keypoints = make_keypoints(STANDING_POINTS, score=0.9)
    knee, ankle = (COCO17.index(n) for n in ("left_knee", "left_ankle"))
    a = np.radians(degrees)
    rotation = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    keypoints[ankle, :2] = keypoints[knee, :2] + rotation @ (keypoints[ankle, :2] - keypoints[knee, :2])
    return keypoints


@pytest.mark.parametrize(
    ("degrees", "reported"), [(0, False), (6, False), (9, False), (11, True), (15, True), (25, True)]
)
def test_a_knee_off_by_more_than_10_degrees_is_reported(degrees: float, reported: bool) -> None:
    comparison = compare_motions(photo("reference", bent_knee(0)), photo("athlete", bent_knee(degrees)))
    joints = {d.joint: d.difference_deg for d in comparison.differences}
    assert ("left_knee" in joints) == reported
    if reported:
        assert joints == {"left_knee": pytest.approx(-degrees, abs=1e-6)}  # bent: a smaller angle
    else:
        assert joints == {}


def test_a_clip_reports_only_the_stretch_beyond_the_tolerance() -> None:
    """Twenty frames, the athlete's knee off by 0 -> 16 -> 0 degrees: one difference, at its peak."""
    off = 16 * np.sin(np.linspace(0, np.pi, 20))
    times = np.arange(20) / 10.0
    reference = Motion("reference", np.arange(20), times, np.stack([bent_knee(0)] * 20), 10.0)
    athlete = Motion("athlete", np.arange(20), times, np.stack([bent_knee(d) for d in off]), 10.0)
    comparison = compare_motions(reference, athlete)
    (difference,) = comparison.differences
    assert difference.joint == "left_knee"
    assert difference.difference_deg == pytest.approx(-off.max(), abs=1e-6)
    beyond = np.flatnonzero(off > 10)
    assert beyond[0] <= difference.athlete_frame <= beyond[-1]


def test_the_default_tolerance_is_said_with_the_comparison() -> None:
    comparison = compare_motions(photo("reference", bent_knee(0)), photo("athlete", bent_knee(0)))
    assert comparison.tolerance == 10.0 and comparison.differences == ()
