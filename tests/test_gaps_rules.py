"""Rule grades at and around their thresholds (issue 30, gap 7), computed by hand from skeletons built so
that each measure is an exact number.

- ``forward_head`` (side view, standing): how far the ear is ahead of the neck, in torsos; mild from 0.1,
  severe from 0.2 (``>=``: a value on a threshold takes its grade);
- ``knee_valgus`` (front view): ankle width minus knee width, in torsos; mild from 0.1, severe from 0.2;
- ``between`` / ``outside`` include their bounds: ``body_axis_tilted`` (outside [-45, 45] degrees) is not
  triggered at exactly 45 degrees, and a ``between: [90, 135]`` rule holds at 90 and at 135.

Every skeleton has a torso of exactly 100 px (neck to mid-hip), so ``x`` px are ``x / 100`` torsos.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pose_demo.geometry import estimate_view, make_keypoints, upright
from pose_demo.results import Box, Person, Verdict
from pose_demo.rules import RuleSet

NECK_X = 200.0


@pytest.fixture(scope="module")
def default() -> RuleSet:
    return RuleSet.load("default")


def verdict(rules: RuleSet, rule_id: str, keypoints: np.ndarray) -> Verdict:
    """The verdict of one rule, the view and contexts judged from the picture as the app does."""
    (found,) = rules.select([rule_id]).evaluate(Person(Box(0, 0, 400, 450), 0.9, keypoints))
    return found


def side_standing(ear_ahead: float, facing: int = 1) -> np.ndarray:
    """Side view, standing straight, facing the image right (``facing`` 1) or left (-1); the ear
    ``ear_ahead`` torsos ahead of the neck (in the facing direction), the nose 20 px further."""
    ear_x = NECK_X + facing * 100 * ear_ahead
    points = {
        "left_ear": (ear_x, 60),
        "right_ear": (ear_x, 60),
        "nose": (ear_x + facing * 20, 62),
        "left_shoulder": (NECK_X + 2, 100),
        "right_shoulder": (NECK_X - 2, 100),
        "left_hip": (NECK_X + 2, 200),
        "right_hip": (NECK_X - 2, 200),
        "left_knee": (NECK_X, 300),
        "right_knee": (NECK_X, 300),
        "left_ankle": (NECK_X, 400),
        "right_ankle": (NECK_X, 400),
    }
    return make_keypoints(points, score=0.9)


def front_standing(ankle_width: float, knee_width: float) -> np.ndarray:
    """Front view, standing: shoulders 60 px and hips 30 px wide, knees and ankles as wide as given (px)."""
    points = {
        "nose": (NECK_X, 50),
        "left_ear": (NECK_X + 12, 48),
        "right_ear": (NECK_X - 12, 48),
        "left_shoulder": (NECK_X + 30, 100),
        "right_shoulder": (NECK_X - 30, 100),
        "left_hip": (NECK_X + 15, 200),
        "right_hip": (NECK_X - 15, 200),
        "left_knee": (NECK_X + knee_width / 2, 300),
        "right_knee": (NECK_X - knee_width / 2, 300),
        "left_ankle": (NECK_X + ankle_width / 2, 400),
        "right_ankle": (NECK_X - ankle_width / 2, 400),
    }
    return make_keypoints(points, score=0.9)


def grade(value: float, mild: float, severe: float) -> str:
    """The documented grading of a ``direction: high`` rule, by hand."""
    return "severe" if value >= severe else "mild" if value >= mild else "ok"


def test_the_catalog_thresholds_are_those_tested(default: RuleSet) -> None:
    rules = {r.id: r for r in default.rules}
    for rule_id in ("forward_head", "knee_valgus"):
        t = rules[rule_id].thresholds
        assert (t.mild, t.severe, t.direction) == (0.1, 0.2, "high"), rule_id


@pytest.mark.parametrize(
    ("ear_ahead", "level"),
    [
        (-0.1, "ok"),
        (0.0, "ok"),
        (0.05, "ok"),
        (0.1, "mild"),
        (0.15, "mild"),
        (0.2, "severe"),
        (0.35, "severe"),
    ],
)
@pytest.mark.parametrize("facing", [1, -1])
def test_forward_head_grades(default: RuleSet, ear_ahead: float, level: str, facing: int) -> None:
    keypoints = side_standing(ear_ahead, facing)
    assert estimate_view(keypoints) == "side" and bool(upright(keypoints))
    got = verdict(default, "forward_head", keypoints)
    assert got.value == pytest.approx(ear_ahead, abs=1e-12)
    assert got.level == grade(ear_ahead, 0.1, 0.2) == level
    assert got.triggered == (level != "ok")


def test_forward_head_on_its_thresholds_takes_their_grades(default: RuleSet) -> None:
    """10 px and 20 px over a 100 px torso are exactly the thresholds 0.1 and 0.2."""
    assert verdict(default, "forward_head", side_standing(0.1)).value == 0.1
    assert verdict(default, "forward_head", side_standing(0.1)).level == "mild"
    assert verdict(default, "forward_head", side_standing(0.2)).value == 0.2
    assert verdict(default, "forward_head", side_standing(0.2)).level == "severe"


@pytest.mark.parametrize(
    ("knee_width", "level"),
    [
        (40, "ok"),  # knees wider than the ankles: -0.08
        (32, "ok"),  # as wide: 0
        (27, "ok"),  # 0.05
        (22, "mild"),  # exactly 0.1
        (17, "mild"),  # 0.15
        (12, "severe"),  # exactly 0.2
        (4, "severe"),  # 0.28
    ],
)
def test_knee_valgus_grades(default: RuleSet, knee_width: float, level: str) -> None:
    keypoints = front_standing(32, knee_width)
    assert estimate_view(keypoints) == "front"
    got = verdict(default, "knee_valgus", keypoints)
    expected_value = 32 / 100 - knee_width / 100
    assert got.value == pytest.approx(expected_value, abs=1e-12)
    assert got.level == grade(got.value, 0.1, 0.2) == level
    assert got.triggered == (level != "ok")


def leaning(degrees: float) -> np.ndarray:
    """Front view, the trunk (mid-hip to neck) leaning ``degrees`` from vertical to the image right."""
    a = np.radians(degrees)
    hip = np.array([200.0, 300.0])
    neck = hip + 100 * np.array([np.sin(a), -np.cos(a)])
    if degrees == 45:  # exactly 45 degrees: a run of 100 px for a rise of 100 px
        neck = hip + np.array([100.0, -100.0])
    across = np.array([np.cos(a), np.sin(a)])
    points = {
        "left_shoulder": tuple(neck + 30 * across),
        "right_shoulder": tuple(neck - 30 * across),
        "left_hip": tuple(hip + 15 * across),
        "right_hip": tuple(hip - 15 * across),
    }
    return make_keypoints(points, score=0.9)


@pytest.mark.parametrize(
    ("degrees", "triggered"), [(0, False), (44, False), (45, False), (46, True), (-50, True)]
)
def test_body_axis_tilted_is_outside_45_degrees_with_45_itself_inside(
    default: RuleSet, degrees: float, triggered: bool
) -> None:
    got = verdict(default, "body_axis_tilted", leaning(degrees))
    assert got.value == pytest.approx(degrees, abs=1e-9)
    if degrees == 45:
        assert got.value == 45.0
    assert got.triggered == triggered


BETWEEN_RULES = """\
rules:
  - id: knee_half_bent
    title: {en: Knee half bent, zh: 膝半屈}
    kind: action
    condition: {joint_angle: [left_hip, left_knee, left_ankle], between: [90, 135]}
"""


@pytest.mark.parametrize(
    ("hip", "degrees", "holds"),
    [
        ((300.0, 300.0), 90.0, True),  # thigh level, shank vertical: a right angle
        ((300.0, 200.0), 135.0, True),  # thigh 45 degrees up
        ((200.0, 200.0), 180.0, False),  # straight
        ((300.0, 400.0), 45.0, False),
        ((300.0, 250.0), None, True),  # about 116.6 degrees
    ],
)
def test_between_includes_its_bounds(
    tmp_path: Path, hip: tuple[float, float], degrees: float | None, holds: bool
) -> None:
    path = tmp_path / "between.yaml"
    path.write_text(BETWEEN_RULES, encoding="utf-8")
    rules = RuleSet.load(path)
    keypoints = make_keypoints({"left_hip": hip, "left_knee": (200, 300), "left_ankle": (200, 400)}, 0.9)
    got = verdict(rules, "knee_half_bent", keypoints)
    if degrees is not None:
        assert got.value == degrees  # exact: the bounds themselves
    assert got.triggered == holds
