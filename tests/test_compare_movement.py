"""Compare says when the movements differ (issue 25, item 6): a walk against squats is flagged as another
movement, scored at most 30 and warned about (JSON, command line in both languages, the Compare tab), while
squats against themselves, mirrored, or other squats stay the same movement; the differences list one moment
of the athlete once, and only joints measurable in both clips. Real clips cut with the bundled ffmpeg, each
analysed once for the module."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from pose_demo import UniModel
from pose_demo.app.compare_tab import summary
from pose_demo.cli import main
from pose_demo.compare import Comparison, Motion, analyse_clip, compare_motions, compare_photos
from pose_demo.compare.compare import summary_lines
from pose_demo.compare.features import REPORTED, measurable, pose_angles, reported_angles
from pose_demo.compare.movement import DIFFERENT_MAX_SCORE, MIN_SIMILARITY
from pose_demo.compare.report import MOMENT_S
from tests.conftest import MODEL_DIR, VIDEOS
from tests.test_compare import DEEP_SQUAT, OPTIONS, RAISE, SQUAT, STANDING, encode

WALK = VIDEOS / "sports2d_demo_parkour_walk.mp4"  # one person walks across, side view
PUSH_UP = VIDEOS / "pushup_side_gym.mp4"
PUSH_UP_LEGS_OUT = VIDEOS / "push_up_side_lowcam_webcam.mp4"  # the legs out of frame


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("movement")
    squats = encode(SQUAT, d / "squats.mp4", "-t", 9.5)  # three squats, before he walks off
    return {
        "squats": squats,
        "mirror": encode(squats, d / "mirror.mp4", "-vf", "hflip"),
        "one": encode(SQUAT, d / "one.mp4", "-t", 4),  # the first squat only
        "raise": encode(RAISE, d / "raise.mp4", "-t", 4),
        "walk": WALK,
        "push_up": PUSH_UP,
        "legs_out": PUSH_UP_LEGS_OUT,
    }


@pytest.fixture(scope="module")
def motions(fast_model: UniModel, clips: dict[str, Path]) -> dict[str, Motion]:
    return {name: analyse_clip(fast_model, path, name, OPTIONS) for name, path in clips.items()}


def compare(motions: dict[str, Motion], reference: str, athlete: str, mirror: bool = False) -> Comparison:
    return compare_motions(motions[reference], motions[athlete], mirror)


@pytest.mark.parametrize(("reference", "athlete"), [("squats", "walk"), ("walk", "squats")])
def test_a_walk_is_not_a_squat(motions: dict[str, Motion], reference: str, athlete: str) -> None:
    c = compare(motions, reference, athlete)
    movement = c.movement
    assert movement is not None and movement.same is False and movement.reason == "joints_differ"
    assert movement.similarity is not None and movement.similarity < 0.2  # 0.11 with the default models
    assert c.score == DIFFERENT_MAX_SCORE  # 34.4 before the cap
    data = c.to_dict()
    assert data["same_movement"] is False and data["score"] == 30.0
    assert data["movement"]["reason"] == "joints_differ" and data["movement"]["similarity"] < 0.2
    en, zh = summary_lines(c), summary_lines(c, "zh-CN")
    assert en[1].startswith("WARNING: different movements: the joints do not move alike (0.1")
    assert "the score is capped at 30" in en[1]
    assert zh[1].startswith("警告：动作不同：关节的运动方式不相似") and "最高只计 30 分" in zh[1]
    tab = summary(c, [], "en").split("\n\n")
    assert tab[0] == "## Score 30 / 100" and tab[1].startswith("**Warning: different movements: the joints")
    assert summary(c, [], "zh-CN").split("\n\n")[1].startswith("**警告：动作不同")


@pytest.mark.parametrize(
    ("reference", "athlete", "mirror", "least_score"),
    [
        ("squats", "squats", False, 100.0),
        ("squats", "mirror", True, 95.0),
        ("squats", "mirror", False, 30.0),  # left and right differ (34), yet the same movement
        ("one", "squats", False, 60.0),  # one squat against three (65)
        ("squats", "one", False, 60.0),
    ],
)
def test_squats_stay_the_same_movement(
    motions: dict[str, Motion], reference: str, athlete: str, mirror: bool, least_score: float
) -> None:
    c = compare(motions, reference, athlete, mirror)
    movement = c.movement
    assert movement is not None and movement.same is True, movement
    assert movement.similarity is not None and movement.similarity >= 0.95
    both_counted = "one" not in (reference, athlete)  # a single squat is not yet an exercise
    assert movement.reason == ("same_exercise" if both_counted else "joints_alike")
    assert c.score >= least_score and c.to_dict()["same_movement"] is True
    assert summary_lines(c)[1].startswith("same movement: ")
    assert "Warning" not in summary(c, [], "en")


def test_other_exercises_are_other_movements(motions: dict[str, Motion]) -> None:
    """A lateral raise moves other joints; push-ups (from kneeling, so hips and knees move as well) are told
    apart by the exercises recognised in each clip."""
    raised = compare(motions, "squats", "raise")
    assert raised.movement is not None and raised.movement.reason == "joints_differ"
    assert raised.score <= DIFFERENT_MAX_SCORE
    push_up = compare(motions, "squats", "push_up")
    movement = push_up.movement
    assert movement is not None and movement.same is False and movement.reason == "different_exercises"
    assert (movement.reference_exercise, movement.athlete_exercise) == ("squat", "push_up")
    assert movement.similarity is not None and movement.similarity >= MIN_SIMILARITY  # joints alone: alike
    assert summary_lines(push_up)[1].startswith(
        "WARNING: different movements: Squat in the reference, Push-up in the athlete's clip"
    )
    assert push_up.to_dict()["movement"]["athlete_exercise"] == "push_up"
    legs_out = compare(motions, "push_up", "legs_out")
    assert legs_out.movement is not None and legs_out.movement.reason == "same_exercise"


@pytest.mark.parametrize("athlete", ["walk", "legs_out", "raise"])
def test_differences_one_moment_once_and_measurable_joints(motions: dict[str, Motion], athlete: str) -> None:
    c = compare(motions, "squats", athlete)
    assert len(c.differences) >= 3
    for a, b in itertools.combinations(c.differences, 2):
        assert abs(a.athlete_time - b.athlete_time) >= MOMENT_S, (a.text, b.text)
    seen = [measurable(reported_angles(pose_angles(m.keypoints))) for m in (c.reference, c.athlete)]
    both = {joint for k, joint in enumerate(REPORTED) if seen[0][k] and seen[1][k]}
    assert {d.joint for d in c.differences} <= both
    if athlete == "legs_out":  # the floor camera sees the knees in 5 % of its frames or less
        assert not {"left_knee", "right_knee"} & both
        assert not any(d.joint.endswith("knee") for d in c.differences)


def test_two_photos_say_nothing_about_movement(fast_model: UniModel) -> None:
    c = compare_photos(fast_model, STANDING, DEEP_SQUAT)
    assert c.movement is None and c.to_dict()["same_movement"] is None and c.to_dict()["movement"] is None
    assert not any("movement" in line for line in summary_lines(c))


def test_cli_walk_against_squats(
    clips: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "c.json"
    args = ["compare", str(clips["squats"]), str(WALK), "--scale", "0.5", "--json", str(out)]
    assert main([*args, "--model-dir", str(MODEL_DIR)]) == 0
    data = json.loads(out.read_text())
    assert data["same_movement"] is False and data["score"] <= 30
    assert data["movement"]["text"].startswith("different movements: the joints do not move alike")
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "score: 30.0 / 100" and printed[1].startswith("WARNING: different movements")
