"""Invariances (issue 30): a person's measures and rule verdicts do not depend on the picture's size or on
where in it the person stands. Hypothesis scales (x0.05 to x50) and moves (up to 5,000 px) real poses, the
persons pinned in ``tests/golden/``, and the geometry, the view and the verdicts of the default catalog
must come out the same (values to within float rounding, grades and decisions equal)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pose_demo import geometry
from pose_demo.results import Box, Person
from pose_demo.rules import RuleSet
from tests.test_gaps_golden import ALL_PERSONS

POSES = [np.array(person["keypoints"], dtype=np.float64) for _, person in ALL_PERSONS]
BOXES = [person["box"] for _, person in ALL_PERSONS]
RULES = RuleSet.load("default")
SCALES = st.floats(0.05, 50.0)
SHIFTS = st.tuples(st.floats(-5000.0, 5000.0), st.floats(-5000.0, 5000.0))
PROPERTY = settings(max_examples=60, deadline=None, derandomize=True, database=None)


def moved(keypoints: np.ndarray, k: float, shift: tuple[float, float]) -> np.ndarray:
    out = keypoints.copy()
    out[:, :2] = keypoints[:, :2] * k + np.array(shift)
    return out


def measures(keypoints: np.ndarray) -> dict[str, object]:
    """Everything ``geometry`` says of one person: angles, body-unit lengths, view and posture."""
    p = {name: geometry.point(keypoints, name) for name in geometry.POINT_NAMES}
    scale = geometry.body_scale(keypoints)
    shoulders, hips = geometry.torso_widths(keypoints)
    return {
        "knee angle": geometry.joint_angle(p["left_hip"], p["left_knee"], p["left_ankle"]),
        "elbow angle": geometry.joint_angle(p["right_shoulder"], p["right_elbow"], p["right_wrist"]),
        "trunk from vertical": geometry.segment_angle(p["mid_hip"], p["neck"], "vertical"),
        "shoulder tilt": geometry.segment_angle(p["right_shoulder"], p["left_shoulder"], "horizontal"),
        "wrist above shoulder": geometry.relative_position(p["left_wrist"], p["left_shoulder"], scale),
        "ear ahead": geometry.relative_position(p["ear"], p["neck"], scale, "x"),
        "feet apart": geometry.distance_ratio(p["left_ankle"], p["right_ankle"], scale),
        "knees across": geometry.distance_ratio(p["left_knee"], p["right_knee"], scale, axis="x"),
        "frontality": geometry.frontality(keypoints),
        "shoulder width": shoulders,
        "hip width": hips,
        "facing": geometry.facing(keypoints),
        "upright": bool(geometry.upright(keypoints)),
        "view": geometry.estimate_view(keypoints),
    }


def assert_same(a: dict[str, object], b: dict[str, object]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        x, y = a[key], b[key]
        if isinstance(x, str | bool):
            assert x == y, key
        else:
            np.testing.assert_allclose(
                np.asarray(y, float), np.asarray(x, float), rtol=1e-9, atol=1e-9, err_msg=key
            )


@PROPERTY
@given(index=st.integers(0, len(POSES) - 1), k=SCALES, shift=SHIFTS)
def test_geometry_is_the_same_at_any_scale_and_place(
    index: int, k: float, shift: tuple[float, float]
) -> None:
    keypoints = POSES[index]
    assert_same(measures(keypoints), measures(moved(keypoints, k, shift)))


def verdicts(keypoints: np.ndarray, box: list[float]) -> list[tuple[str, str, bool, float | None]]:
    person = Person(Box(*box), 0.9, keypoints)
    return [(v.id, v.level, v.triggered, v.value) for v in RULES.evaluate(person)]


@PROPERTY
@given(index=st.integers(0, len(POSES) - 1), k=SCALES, shift=SHIFTS)
def test_rule_verdicts_are_the_same_at_any_scale_and_place(
    index: int, k: float, shift: tuple[float, float]
) -> None:
    keypoints, box = POSES[index], BOXES[index]
    x1, y1, x2, y2 = box
    moved_box = [x1 * k + shift[0], y1 * k + shift[1], x2 * k + shift[0], y2 * k + shift[1]]
    before, after = verdicts(keypoints, box), verdicts(moved(keypoints, k, shift), moved_box)
    assert [v[:3] for v in after] == [v[:3] for v in before]
    for (rule, *_, a), (_, *_, b) in zip(before, after, strict=True):
        assert (a is None) == (b is None), rule
        if a is not None:
            assert abs(a - b) <= 1e-9 * max(1.0, abs(a)), rule


def test_the_poses_cover_every_view_and_verdict() -> None:
    """The property is tried on front and side views, and on rules graded and triggered."""
    views = {geometry.estimate_view(k) for k in POSES}
    levels = {level for k, box in zip(POSES, BOXES, strict=True) for _, level, _, _ in verdicts(k, box)}
    assert views == {"front", "side", "unknown"}
    assert levels == {"ok", "mild", "severe", "unknown"}
