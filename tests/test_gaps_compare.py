"""Compare's tolerance (issue 30, gap 10): by default a joint angle off by more than 10 degrees is reported,
one off by less is not. Two photos of a standing person, the athlete's left knee bent by a chosen angle
(the ankle turned about the knee), so the expected difference is known exactly."""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
import pytest

from pose_demo.compare.align import Alignment
from pose_demo.compare.compare import compare_motions
from pose_demo.compare.features import FEATURES, REPORTED
from pose_demo.compare.motion import Motion
from pose_demo.compare.report import (
    Difference,
    Phase,
    largest_differences,
    pace_words,
    phase_bounds,
    similarity_score,
    timing,
)
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


# ---------------------------------------------------------------- the report's arithmetic on angles given


def angles(n: int, value: float = 90.0) -> np.ndarray:
    """``n`` frames of every feature angle at ``value`` degrees."""
    return np.full((n, len(FEATURES)), value)


def column(name: str) -> int:
    return FEATURES.index(name)


def clip(name: str, n: int, fps: float = 10.0) -> Motion:
    return Motion(name, np.arange(n) + 100, np.arange(n) / fps, np.zeros((n, 17, 3)), fps)


def identity(n: int) -> Alignment:
    return Alignment(np.column_stack([np.arange(n), np.arange(n)]))


def test_the_score_is_the_mean_excess_over_the_noise_against_45_degrees() -> None:
    reference = angles(2)
    athlete = reference.copy()
    assert similarity_score(reference, athlete, identity(2)) == 100.0
    assert similarity_score(reference, athlete + 4.9, identity(2)) == 100.0  # within the keypoint noise
    assert similarity_score(reference, athlete + 14.0, identity(2)) == pytest.approx(80.0)  # 9 of 45
    assert similarity_score(reference, athlete - 14.0, identity(2)) == pytest.approx(80.0)
    assert similarity_score(reference, athlete + 60.0, identity(2)) == 0.0
    one_known = np.full_like(athlete, np.nan)
    one_known[:, column("left_knee")] = 115.0  # 20 beyond the noise, the only angle seen in both
    one_known[:, column("right_knee")] = 90.0
    assert similarity_score(reference, one_known, identity(2)) == pytest.approx(100 * (1 - 10 / 45))
    one_known[1] = np.nan  # a pair with nothing seen in both does not count
    assert similarity_score(reference, one_known, identity(2)) == pytest.approx(100 * (1 - 10 / 45))
    one_known[1, column("left_knee")] = 115.0  # a pair with one angle seen: 20; the other pair still 10
    assert similarity_score(reference, one_known, identity(2)) == pytest.approx(100 * (1 - 15 / 45))
    one_known[1, column("left_knee")] = np.nan
    assert similarity_score(reference, one_known, identity(2)) == pytest.approx(100 * (1 - 10 / 45))
    assert similarity_score(reference, np.full_like(athlete, np.nan), identity(2)) == 0.0
    across = angles(1, 179.0), angles(1, -179.0)  # 2 degrees apart across +-180
    assert similarity_score(*across, identity(1)) == 100.0
    swapped = angles(2), angles(2)
    swapped[1][0] += 30.0  # the athlete's first frame is the reference's second
    swapped[0][1] += 30.0
    assert similarity_score(*swapped, Alignment(np.array([[0, 1], [1, 0]]))) == 100.0
    assert similarity_score(*swapped, identity(2)) == pytest.approx(100 * (1 - 25 / 45))


@pytest.mark.parametrize(
    ("joint", "difference", "english", "chinese"),
    [
        ("trunk", 12.4, "the trunk leans 12° more than the reference", "躯干比参考动作多倾斜 12°"),
        ("trunk", -12.6, "the trunk leans 13° less than the reference", "躯干比参考动作少倾斜 13°"),
        (
            "left_shoulder",
            20.0,
            "the left arm is raised 20° more than the reference",
            "左臂比参考动作多抬起 20°",
        ),
        (
            "right_shoulder",
            -20.0,
            "the right arm is raised 20° less than the reference",
            "右臂比参考动作少抬起 20°",
        ),
        ("left_knee", -15.0, "the left knee is 15° more bent than the reference", "左膝比参考动作多弯曲 15°"),
        (
            "right_elbow",
            15.0,
            "the right elbow is 15° less bent than the reference",
            "右肘比参考动作少弯曲 15°",
        ),
        ("left_hip", 30.0, "the left hip is 30° less bent than the reference", "左髋比参考动作少弯曲 30°"),
        ("left_hip", 0.6, "the left hip is 1° less bent than the reference", "左髋比参考动作少弯曲 1°"),
    ],
)
def test_a_difference_in_words(joint: str, difference: float, english: str, chinese: str) -> None:
    found = Difference(joint, 3, 7, 0.25, 1.04, 100.0, 100.0 + difference)
    assert found.text == found.words("en") == f"at 1.0 s (athlete; 0.2 s in the reference) {english}"
    assert found.words("zh-CN") == f"第 1.0 秒（参考动作的第 0.2 秒），{chinese}"
    photo = replace(found, photo=True)
    assert photo.text == english[0].upper() + english[1:] and photo.words("zh-CN") == chinese


def test_a_difference_as_data() -> None:
    found = Difference("left_knee", 3, 7, 0.12345, 1.23456, 100.26, 115.49)
    assert found.to_dict() == {
        "joint": "left_knee",
        "reference_frame": 3,
        "athlete_frame": 7,
        "reference_time": 0.123,
        "athlete_time": 1.235,
        "reference_deg": 100.3,
        "athlete_deg": 115.5,
        "difference_deg": 15.2,  # 15.23
        "text": found.text,
    }


def differences(
    athlete: np.ndarray, photos: bool = False, fps: float = 10.0, **options: float
) -> list[Difference]:
    """The largest differences of ``athlete`` against angles of 90 degrees, frame by frame."""
    n = len(athlete)
    reference, other = clip("reference", n, fps), clip("athlete", n, fps)
    if photos:
        reference, other = replace(reference, photo=True), replace(other, photo=True)
    return largest_differences(reference, other, angles(n), athlete, identity(n), **options)


def test_only_differences_beyond_the_tolerance_are_listed_at_their_peak() -> None:
    athlete = angles(20)
    off = [0, 10, 0, 12, 15, 11, -14, -13, 0, 0, 0, 0, -20, -11, 0, 0, 0, 0, 0, 0]  # 10: within the tolerance
    athlete[:, column("left_knee")] += off
    found = differences(athlete)
    assert [(d.joint, d.athlete_frame, d.athlete_time, d.difference_deg) for d in found] == [
        ("left_knee", 112, 1.2, -20.0),
        ("left_knee", 104, 0.4, 15.0),  # its other way (at 0.6 s) is less, at the same moment
    ]
    assert (found[1].reference_frame, found[1].reference_time, found[1].reference_deg) == (104, 0.4, 90.0)
    assert [d.athlete_frame for d in differences(athlete, tolerance=14.5)] == [112, 104]
    assert [d.athlete_frame for d in differences(athlete, tolerance=15.0)] == [112]
    athlete[12:14, column("left_knee")] = 110.0  # the same way as the first stretch, apart from it
    assert [d.athlete_frame for d in differences(athlete)] == [112, 104]


def test_within_half_a_second_of_the_athletes_clip_the_largest_difference_is_listed() -> None:
    athlete = angles(12)  # 4 frames a second
    athlete[3, column("left_knee")] = 115.0  # 0.75 s
    athlete[4, column("right_elbow")] = 120.0  # 0.25 s later, larger
    athlete[6, column("trunk")] = 113.0  # 0.5 s after the elbow: another moment
    athlete[9, column("left_hip")] = 125.0
    athlete[10, column("right_hip")] = 125.0  # 0.25 s after, as large: the first found stays
    found = differences(athlete, fps=4.0)
    assert [(d.joint, d.athlete_frame) for d in found] == [
        ("left_hip", 109),
        ("right_elbow", 104),
        ("trunk", 106),
    ]
    assert [d.joint for d in differences(athlete, fps=4.0, top=2)] == ["left_hip", "right_elbow"]
    photos = differences(athlete[[3]], photos=True) + differences(athlete[[4]], photos=True)
    assert [d.photo for d in photos] == [True, True]


def test_two_photos_list_every_joint_up_to_the_top_five() -> None:
    athlete = angles(1)
    for k, name in enumerate(REPORTED[:7]):
        athlete[0, column(name)] += 20.0 + k
    found = differences(athlete, photos=True)
    assert [d.joint for d in found] == list(REPORTED[6:1:-1])


def test_a_joint_not_measurable_in_a_clip_is_not_reported() -> None:
    athlete = angles(10)
    athlete[:, column("left_knee")] = 130.0
    athlete[:6, column("left_knee")] = np.nan  # seen in 4 of 10 frames
    athlete[:, column("right_knee")] = 130.0
    assert [d.joint for d in differences(athlete)] == ["right_knee"]


@pytest.mark.parametrize(
    ("reference", "athlete", "ratio", "pace", "chinese"),
    [
        ((1.0, 3.0), (2.0, 4.0), 1.0, "same pace", "节奏相同"),
        ((1.0, 3.0), (2.0, 4.18), 1.09, "same pace", "节奏相同"),
        ((1.0, 3.0), (2.0, 3.82), 0.91, "same pace", "节奏相同"),
        ((1.0, 3.0), (2.0, 4.22), 1.11, "slower", "较慢"),
        ((1.0, 3.0), (2.0, 3.78), 0.89, "faster", "较快"),
        ((1.0, 1.0), (2.0, 5.0), 1.0, "same pace", "节奏相同"),  # no time in the reference
    ],
)
def test_a_phase_pace_is_the_ratio_of_durations_within_10_percent(
    reference: tuple[float, float], athlete: tuple[float, float], ratio: float, pace: str, chinese: str
) -> None:
    phase = Phase(reference, athlete)
    assert phase.ratio == pytest.approx(ratio) and phase.pace == pace
    assert pace_words(phase.pace) == pace and pace_words(phase.pace, "zh-CN") == chinese
    assert phase.to_dict() == {
        "reference": list(reference),
        "athlete": list(athlete),
        "ratio": ratio,
        "pace": pace,
    }


def swings(n: int, amplitude: float, period: int, phase: float = 0.0) -> np.ndarray:
    return 90.0 + amplitude * np.sin(2 * np.pi * (np.arange(n) / period + phase))


def test_phases_turn_where_the_angle_that_moves_most_turns() -> None:
    reference = angles(40)
    reference[:, column("left_knee")] = swings(40, 30.0, 20)  # turns at 5, 15, 25, 35
    reference[:, column("left_elbow")] = swings(40, 20.0, 8)  # moves less: its turns are not phases
    reference[:, column("right_knee")] = swings(40, 9.0, 4)  # turns of 18 degrees: too small
    assert phase_bounds(reference) == [0, 5, 15, 25, 35, 39]
    reference[:, column("left_knee")] = 90.0 + np.where(np.arange(40) % 20 < 10, 0.0, 19.0)
    reference[:, column("left_elbow")] = 90.0 + np.where(np.arange(40) % 20 < 10, 0.0, 18.0)
    assert phase_bounds(reference) == [0, 39]  # steps of 19 degrees: no turn of 20
    reference[:, column("left_knee")] = 90.0 + np.where(np.arange(40) % 20 < 10, 0.0, 20.0)
    assert phase_bounds(reference) == [0, 14, 24, 39]  # steps of 20: a turn mid-way along each step
    reference[:, column("left_knee")] = swings(40, 30.0, 20)
    reference[8:12, column("left_knee")] = np.nan  # filled in for the turns
    assert phase_bounds(reference) == [0, 5, 15, 25, 35, 39]
    assert phase_bounds(np.full((5, len(FEATURES)), np.nan)) == [0, 4]
    reference[:, column("right_elbow")] = np.nan  # an angle never seen: no warning about it
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert phase_bounds(reference) == [0, 5, 15, 25, 35, 39]


def test_phases_and_tempo_are_given_to_the_millisecond() -> None:
    assert Phase((0.12345, 3.0), (1.23456, 4.1)).to_dict() == {
        "reference": [0.123, 3.0],
        "athlete": [1.235, 4.1],
        "ratio": 0.996,
        "pace": "same pace",
    }
    reference, athlete = clip("reference", 4, fps=3.0), clip("athlete", 5, fps=3.0)
    alignment = Alignment(np.array([[0, 0], [1, 1], [2, 2], [3, 3], [3, 4]]))
    assert timing(reference, athlete, angles(4), alignment)["tempo_ratio"] == 1.333


def test_the_timing_says_each_phase_pace_and_the_overall_tempo() -> None:
    """The athlete takes the first half of the reference at its pace and the second at half speed."""
    reference = angles(21)
    reference[:, column("left_knee")] = 90.0 + 40.0 * np.sin(np.pi * np.arange(21) / 20)  # one turn: 10
    pairs = [(r, r) for r in range(11)] + [(10 + (a - 9) // 2, a) for a in range(11, 31)]
    athlete = replace(clip("athlete", 31), times=np.arange(31) / 10.0)
    result = timing(clip("reference", 21), athlete, reference, Alignment(np.array(pairs)))
    assert result == {
        "tempo_ratio": 1.5,
        "pace": "slower",
        "phases": [
            {"reference": [0.0, 1.0], "athlete": [0.0, 1.0], "ratio": 1.0, "pace": "same pace"},
            {"reference": [1.0, 2.0], "athlete": [1.0, 3.0], "ratio": 2.0, "pace": "slower"},
        ],
    }
