"""Rules on real images with the real models (accurate pair), and the verdict overlay."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from pose_demo import UniModel
from pose_demo.geometry import make_keypoints
from pose_demo.results import Box, Person, Verdict
from pose_demo.rules import RuleSet
from pose_demo.visualization.rule_overlay import LEVEL_COLORS, draw_verdicts, image_scale, label_anchor
from pose_demo.visualization.text import LABEL_BACKGROUND
from tests.conftest import IMAGES

DEEP_SQUAT = "side_frame_squat_f0257_deep_squat.jpg"
STANDING_SIDE = "side_frame_squat_f0030_standing.jpg"
ARMS_UP = "front_frame_lateral_raise_f0323_arms_up.jpg"
ARMS_DOWN = "front_frame_lateral_raise_f0000_arms_down.jpg"


@pytest.fixture(scope="module")
def default() -> RuleSet:
    return RuleSet.load("default")


def largest_person(model: UniModel, name: str) -> tuple[np.ndarray, Person]:
    image = cv2.imread(str(IMAGES / name))
    return image, max(model.predict(image).persons, key=lambda p: p.box.area)


def verdicts_on(model: UniModel, rules: RuleSet, name: str) -> dict[str, Verdict]:
    return {v.id: v for v in rules.evaluate(largest_person(model, name)[1])}


def test_deep_squat(accurate_model, default):
    got = verdicts_on(accurate_model, default, DEEP_SQUAT)
    assert got["left_knee_angle"].value < 110
    assert got["right_knee_angle"].value < 110
    assert got["squat_depth"].triggered
    assert abs(got["trunk_lean"].value) > 20  # the trunk leans forward in the squat
    assert got["shoulder_level"].level == "unknown"  # a front-view rule on a side view


def test_standing_side_view(accurate_model, default):
    got = verdicts_on(accurate_model, default, STANDING_SIDE)
    assert got["left_knee_angle"].value > 150
    assert got["right_knee_angle"].value > 150
    assert (got["squat_depth"].level, got["squat_depth"].triggered) == ("ok", False)
    assert got["trunk_lean"].level == "ok"
    assert got["forward_head"].level == "ok"


@pytest.mark.parametrize(("name", "raised"), [(ARMS_UP, True), (ARMS_DOWN, False)])
def test_elbows_against_shoulder_level(accurate_model, default, name, raised):
    got = verdicts_on(accurate_model, default, name)
    elbows = got["elbow_over_shoulder"]
    assert elbows.level == "ok"  # both sides seen
    assert (elbows.triggered, elbows.value) == ((True, 2) if raised else (False, 0))  # 2: both elbows
    assert got["hand_over_shoulder"].triggered == raised
    for side in ("left", "right"):
        assert (got[f"{side}_shoulder_angle"].value > 80) == raised
    assert got["shoulder_level"].level == "ok"


def changed(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    return np.any(before != after, axis=-1)


def has_color(image: np.ndarray, color: tuple[int, int, int]) -> bool:
    return bool(np.any(np.all(image == color, axis=-1)))


def test_overlay_on_a_real_image(accurate_model, default):
    image, person = largest_person(accurate_model, ARMS_UP)
    rules = default.select(["left_knee_angle", "shoulder_tilt", "elbow_over_shoulder", "hand_over_head"])
    drawn = image.copy()
    draw_verdicts(drawn, person, rules.evaluate(person))
    assert drawn.shape == image.shape and drawn.dtype == np.uint8
    diff = changed(image, drawn)
    # an arc around the left knee, in the colour of its level
    x, y = person.keypoints[13, :2].astype(int)
    around_knee = (slice(y - 60, y + 60), slice(x - 60, x + 60))
    assert diff[around_knee].any()
    assert has_color(drawn[around_knee], LEVEL_COLORS["ok"])
    # two labels above the head (shoulder tilt, elbow over shoulder); hand_over_head is not triggered
    hx, hy = (int(v) for v in label_anchor(person))
    above_head = (slice(0, hy), slice(hx - 250, hx + 250))
    assert has_color(drawn[above_head], LEVEL_COLORS["ok"])
    label_box = diff[above_head] & np.all(drawn[above_head] == LABEL_BACKGROUND, axis=-1)
    rows = np.flatnonzero(label_box.any(axis=1))
    assert rows.max() < hy - 40  # the face stays clear
    assert 40 < np.ptp(rows) < 70  # two lines of about 26 px
    untouched = image.copy()
    draw_verdicts(untouched, person, [])
    assert np.array_equal(untouched, image)


def test_overlay_colours_and_fallbacks():
    points = {
        "left_eye": (105, 35), "right_eye": (95, 35), "nose": (100, 40),
        "left_shoulder": (130, 74), "right_shoulder": (70, 80),  # left shoulder 5.7 deg higher
        "left_hip": (120, 180), "right_hip": (80, 180),
    }  # fmt: skip
    person = Person(Box(40, 20, 160, 300), 0.9, make_keypoints(points, score=0.9))
    rules = RuleSet.load("default").select(["shoulder_level", "left_knee_angle"])
    standing = frozenset({"standing_still"})  # said, as the legs are out of the picture
    verdicts = rules.evaluate(person, contexts=standing)
    assert [v.level for v in verdicts] == ["severe", "unknown"]
    image = np.full((400, 300, 3), 200, np.uint8)
    draw_verdicts(image, person, verdicts, scale=1.0)
    assert has_color(image, LEVEL_COLORS["severe"])
    assert not has_color(image, LEVEL_COLORS["unknown"])  # unknown verdicts are not drawn
    assert label_anchor(person) == (100, 40)  # the most confident head point (the first of equals)
    person.keypoints[0:3, 2] = 0.1
    assert label_anchor(person) == (100, 77)  # head hidden: the neck
    person.keypoints[6, 2] = 0.1
    assert label_anchor(person) == (130, 74)  # one shoulder hidden: the other
    person.keypoints[5, 2] = 0.1
    assert label_anchor(person) == (100, 20)  # nothing: the top of the box


def test_overlay_scales_with_the_image():
    assert image_scale(np.zeros((720, 1280, 3), np.uint8)) == pytest.approx(1.28)
    assert image_scale(np.zeros((90, 120, 3), np.uint8)) == pytest.approx(0.4)  # never too small to read
    points = {
        "nose": (500, 200), "left_eye": (510, 190), "right_eye": (490, 190),
        "left_shoulder": (560, 300), "right_shoulder": (440, 300),
        "left_hip": (540, 500), "right_hip": (460, 500),
    }  # fmt: skip
    heights = {}
    for size in (200, 1000, 3000):  # the same picture at three sizes
        zoom = size / 1000
        kps = make_keypoints({k: (x * zoom, y * zoom) for k, (x, y) in points.items()}, score=0.9)
        person = Person(Box(0, 0, size, size), 0.9, kps)
        image = np.full((size, size, 3), 200, np.uint8)
        draw_verdicts(image, person, RuleSet.load("default").select(["shoulder_tilt"]).evaluate(person))
        label_rows = np.flatnonzero(np.all(image == LABEL_BACKGROUND, axis=-1).any(axis=1))
        heights[size] = np.ptp(label_rows) + 1
    assert heights[3000] / heights[1000] == pytest.approx(3, rel=0.2)
    assert heights[200] >= 10 and heights[200] == pytest.approx(0.4 * heights[1000], rel=0.25)
