"""Which rules apply to a person: the view they are seen from (front / side / unknown) and the context
(``when: standing_still``), on hand-made skeletons, the dinner-table photo and the labelled clips."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from pose_demo import AnalysisOptions, UniModel
from pose_demo.geometry import body_motion, make_keypoints, torso_widths, upright
from pose_demo.results import Box, Person
from pose_demo.rules import RuleSet, RuleTracker
from pose_demo.rules.ruleset import estimate_view
from pose_demo.video import VideoOptions, process_video
from tests.conftest import IMAGES, VIDEOS

DINNER = IMAGES / "crowd_coco_val2017_000000338905_dinner_table.jpg"
SQUAT_CLIP = "squat_side_view.mp4"
RAISE_CLIP = "sports2d_demo5_dumbbell_lateral_raise.mp4"
FRONT_RULES = ("shoulder_tilt", "hip_tilt", "head_tilt", "shoulder_level", "hip_level", "knee_valgus")
STANDING_STILL = frozenset({"standing_still"})

# Facing the camera, standing: shoulders 0.6 torso wide, hips 0.4.
STANDING = {
    "nose": (100, 40), "left_eye": (105, 35), "right_eye": (95, 35), "left_ear": (112, 38),
    "right_ear": (88, 38), "left_shoulder": (130, 80), "right_shoulder": (70, 80), "left_elbow": (135, 130),
    "right_elbow": (65, 130), "left_wrist": (138, 175), "right_wrist": (62, 175), "left_hip": (120, 180),
    "right_hip": (80, 180), "left_knee": (120, 260), "right_knee": (80, 260), "left_ankle": (120, 340),
    "right_ankle": (80, 340),
}  # fmt: skip


def keypoints(points: dict[str, tuple[float, float]] = STANDING, **changes: tuple[float, ...]) -> np.ndarray:
    """Keypoints scored 0.9; ``changes`` move points, and a third number sets their score."""
    kps = make_keypoints({**points, **{k: v[:2] for k, v in changes.items()}}, score=0.9)
    for name, change in changes.items():
        if len(change) == 3:
            kps[list(STANDING).index(name), 2] = change[2]
    return kps


def person(kps: np.ndarray, track_id: int | None = None) -> Person:
    return Person(Box(0, 0, 300, 400), 0.9, kps, track_id=track_id)


@pytest.fixture(scope="module")
def default() -> RuleSet:
    return RuleSet.load("default")


# --- the view -----------------------------------------------------------------------------------------------


def test_torso_widths_follow_the_torso_not_the_image_axes() -> None:
    shoulders, hips = torso_widths(keypoints())
    assert (shoulders, hips) == (pytest.approx(0.6), pytest.approx(0.4))
    lying = keypoints()[:, [1, 0, 2]]  # the same person lying on its side: x and y swapped
    assert torso_widths(lying) == (pytest.approx(0.6), pytest.approx(0.4))
    assert estimate_view(lying) == "front"


@pytest.mark.parametrize(
    ("changes", "view"),
    [
        ({}, "front"),
        (
            {
                "left_shoulder": (104, 80),
                "right_shoulder": (96, 80),
                "left_hip": (102, 180),
                "right_hip": (98, 180),
            },
            "side",
        ),
        ({"left_hip": (120, 180, 0.25), "right_hip": (80, 180, 0.25)}, "unknown"),  # hips behind a table
        ({"left_hip": (120, 180, 0.4)}, "unknown"),  # a front view needs both sides seen well
        ({"left_shoulder": (104, 80), "right_shoulder": (96, 80)}, "unknown"),  # narrow shoulders, wide hips
        ({"left_shoulder": (118, 80), "right_shoulder": (82, 80)}, "unknown"),  # three-quarter view
    ],
)
def test_view_needs_the_torso_seen_and_consistent(changes: dict, view: str) -> None:
    assert estimate_view(keypoints(**changes)) == view


def test_rules_of_a_view_are_unknown_when_the_view_is(default: RuleSet) -> None:
    hidden_hips = person(
        keypoints(left_hip=(120, 180, 0.25), right_hip=(80, 180, 0.25), left_shoulder=(130, 90))
    )
    got = {v.id: v for v in default.evaluate(hidden_hips)}
    assert all(got[i].level == "unknown" for i in (*FRONT_RULES, "forward_head", "squat_depth"))
    assert got["left_elbow_angle"].level == "ok"  # rules for any view are still given
    assert {v.id: v for v in default.evaluate(hidden_hips, view="front")}["shoulder_tilt"].value < -5


@pytest.mark.parametrize("pair", ["fast", "accurate"])
def test_seated_people_at_the_dinner_table_get_no_front_view_verdict(
    request: pytest.FixtureRequest, default: RuleSet, pair: str
) -> None:
    model: UniModel = request.getfixturevalue(f"{pair}_model")
    persons = model.predict(cv2.imread(str(DINNER))).persons
    assert len(persons) >= 2
    for p in persons:
        got = {v.id: v for v in default.evaluate(p)}
        assert {i: got[i].level for i in FRONT_RULES} == dict.fromkeys(FRONT_RULES, "unknown")
        assert not any(v.level == "severe" for v in got.values())


# --- the standing_still context --------------------------------------------------------------------------


def test_upright_needs_a_straight_leg_seen_and_a_trunk_near_vertical() -> None:
    assert upright(keypoints())
    assert not upright(keypoints(left_knee=(150, 240)))  # one knee bent (about 130 degrees)
    legs = [f"{s}_{j}" for s in ("left", "right") for j in ("knee", "ankle")]
    assert not upright(keypoints(**{n: (*STANDING[n], 0.1) for n in legs}))  # legs unseen: not known
    assert upright(keypoints(**{n: (*STANDING[n], 0.1) for n in legs[:2]}))  # one straight leg is enough
    bent_over = keypoints(left_shoulder=(190, 150), right_shoulder=(170, 150))  # trunk about 60 degrees
    assert not upright(bent_over)


def test_body_motion_is_the_typical_joint_displacement_in_torsos() -> None:
    still = keypoints()
    past = np.stack([still, still.copy(), still.copy()])
    past[1, 15, :2] += 50  # one flickering ankle
    past[2, :, 0] += 30  # the whole body 0.3 torso to the side
    assert body_motion(past, still) == pytest.approx([0.0, 0.0, 0.3])


def test_screening_out_of_context_keeps_its_value(default: RuleSet) -> None:
    leaning = keypoints(left_shoulder=(160, 80), right_shoulder=(100, 80), nose=(130, 40))  # 16.7 deg
    got = {v.id: v for v in default.evaluate(person(leaning))}
    assert (got["trunk_lean"].level, got["trunk_lean"].triggered) == ("mild", True)
    squatting = keypoints(left_shoulder=(160, 80), right_shoulder=(100, 80), left_knee=(180, 240),
                          right_knee=(140, 240))  # fmt: skip
    got = {v.id: v for v in default.evaluate(person(squatting))}
    assert (got["trunk_lean"].level, got["trunk_lean"].triggered) == ("unknown", False)
    assert got["trunk_lean"].value == pytest.approx(got["body_axis_tilted"].value)  # still measured
    said = {v.id: v for v in default.evaluate(person(squatting), contexts=STANDING_STILL)}
    assert said["trunk_lean"].level == "mild"


def test_stream_grades_posture_only_when_standing_still(default: RuleSet) -> None:
    rules = default.select(["trunk_lean"])
    tracker = RuleTracker(rules)
    leaning = keypoints(left_shoulder=(160, 80), right_shoulder=(100, 80), nose=(130, 40))
    levels = [tracker.evaluate(person(leaning, 1), t / 10)[0].level for t in range(12)]
    assert levels[3:] == ["mild"] * 9  # debounced: 3 of the last 5 frames
    walking = [leaning.copy() for _ in range(12)]
    for t, kps in enumerate(walking):
        kps[:, 0] += 20 * t  # 0.2 torso a frame
    levels = [tracker.evaluate(person(kps, 2), t / 10)[0].level for t, kps in enumerate(walking)]
    assert levels[1:] == ["unknown"] * 11
    stops = [tracker.evaluate(person(walking[-1], 2), 1.2 + t / 10)[0].level for t in range(14)]
    assert stops[:9] == ["unknown"] * 9 and stops[-1] == "mild"  # graded once the last second was still
    assert tracker.evaluate(person(walking[5], 2))[0].level == "mild"  # no time: upright is enough


# --- the labelled clips -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clips(fast_model: UniModel) -> dict[str, list[tuple[float, list[Person]]]]:
    """Each clip processed once at half size, with the default rules, main person only (track 1)."""
    options = VideoOptions(AnalysisOptions(rules=RuleSet.load("default")), output_scale=0.5)
    runs = {
        clip: process_video(fast_model, VIDEOS / clip, None, options) for clip in (SQUAT_CLIP, RAISE_CLIP)
    }
    return {
        clip: [(f.time, p) for f in run.frames for p in f.persons if p.track_id == 1]
        for clip, run in runs.items()
    }


def verdict(p: Person, rule_id: str):
    return next(v for v in p.rules if v.id == rule_id)


def test_side_squat_is_seen_from_the_side(clips: dict) -> None:
    views = [estimate_view(p.keypoints) for t, p in clips[SQUAT_CLIP] if t < 9.5]  # then walks to the camera
    assert "front" not in views and views.count("side") >= 0.95 * len(views)
    assert all(verdict(p, "shoulder_level").level == "unknown" for _, p in clips[SQUAT_CLIP] if _ < 9.5)


def test_lateral_raise_is_seen_from_the_front(clips: dict) -> None:
    views = [estimate_view(p.keypoints) for _, p in clips[RAISE_CLIP]]
    assert views.count("front") >= 0.95 * len(views) and "side" not in views
    levels = [verdict(p, "shoulder_level").level for _, p in clips[RAISE_CLIP]]
    assert levels.count("unknown") <= 0.05 * len(levels)  # standing still while the arms move


def test_squatter_at_the_bottom_is_not_flagged_but_standing_is_graded(clips: dict) -> None:
    bottom = [p for t, p in clips[SQUAT_CLIP] if 2.4 <= t <= 2.8]
    assert bottom and all(verdict(p, "trunk_lean").value > 20 for p in bottom)  # measured ...
    assert all((verdict(p, "trunk_lean").level, verdict(p, "trunk_lean").triggered) == ("unknown", False)
               for p in bottom)  # ... not flagged  # fmt: skip
    standing = [verdict(p, "trunk_lean").level for t, p in clips[SQUAT_CLIP] if t < 1.2]
    assert standing and all(level == "ok" for level in standing)
