"""No confident wrong answers (issue 25, items 1-4): stillness and turn-time posture conditions, a flicker of
one frame at rest, a clip that begins mid-repetition, auto naming none of the catalog (with the movement's
count), the new exercises on synthetic bodies, and checks on joints placed where a body cannot be."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pose_demo import AnalysisOptions, UniModel
from pose_demo.exercises import ExerciseCatalog, ExerciseError, count_reps, count_track, track_series
from pose_demo.exercises.counting import find_cycles
from pose_demo.exercises.reliability import MIN_JOINT_ANGLE, bone_ratio
from pose_demo.exercises.schema import Measure, Thresholds
from pose_demo.exercises.signals import measure_series
from pose_demo.geometry import joint_angle, make_keypoints, point
from pose_demo.report.session import check_line
from pose_demo.results import Box, CheckResult, Person
from pose_demo.video import VideoOptions, process_video
from tests.conftest import REPO, VIDEOS
from tests.test_video_pipeline import cli

FPS = 30.0


@pytest.fixture(scope="module")
def catalog() -> ExerciseCatalog:
    return ExerciseCatalog.load("default")


# --- the counting engine ---------------------------------------------------------------------------------


def _cycles(values: list[float]) -> int:
    times = np.arange(len(values)) / FPS
    return len(find_cycles(times, np.array(values), "increasing", Thresholds(0.35, 0.65)))


def test_one_frame_at_rest_is_a_flicker_not_a_return() -> None:
    """Up to the turn, one frame back at rest (a keypoint flicker), up again and back down: one
    repetition, not two; two frames at rest are a return."""
    up, rest = [0.0] * 10 + [1.0] * 10, [0.0] * 10
    assert _cycles(up + [0.0] + [1.0] * 10 + rest) == 1
    assert _cycles(up + [0.0, 0.0] + [1.0] * 10 + rest) == 2


def test_a_track_first_seen_on_the_way_out_counts_that_repetition() -> None:
    """A clip that begins as the arms rise: first seen between rest and turn, that repetition counts; one
    that begins past the turn (only the way back is seen) does not."""
    assert _cycles([0.5] * 3 + [1.0] * 10 + [0.0] * 10) == 1
    assert _cycles([0.9] * 3 + [1.0] * 10 + [0.0] * 10) == 0
    assert _cycles([np.nan] * 5 + [0.5] * 3 + [1.0] * 10 + [0.0] * 10) == 1


# --- the exercise file format ----------------------------------------------------------------------------

SPEC = """
exercises:
  - id: raise
    title: {en: Raise, zh: 举}
    signal: {joint_angle: [left_hip, left_shoulder, left_elbow]}
    work: increasing
    min_amplitude: 30
    posture:
      - {measure: {segment_angle: [mid_hip, neck]}, greater_than: 60, at: turn}
    still:
      - {measure: {distance_ratio: [left_ankle, right_ankle], axis: x}, max_range: 0.3}
"""


def _load(tmp_path: Path, text: str) -> ExerciseCatalog:
    path = tmp_path / "gym.yaml"
    path.write_text(text, encoding="utf-8")
    return ExerciseCatalog.load(path)


def test_still_and_posture_at_turn_load(tmp_path: Path) -> None:
    exercise = _load(tmp_path, SPEC).get("raise")
    assert exercise.posture[0].at == "turn" and exercise.posture[0].comparison.bounds == (60.0,)
    assert exercise.still[0].max_range == 0.3 and exercise.still[0].signal.measure.option == "x"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("max_range: 0.3", "max_rang: 0.3"), "field 'still[0]': unknown key 'max_rang'"),
        (("max_range: 0.3", "max_range: 0"), "field 'still[0].max_range': needs max_range"),
        ((", max_range: 0.3", ""), "field 'still[0].max_range': needs max_range"),
        (("at: turn", "at: bottom"), "field 'posture[0].at'"),
    ],
)
def test_still_and_posture_mistakes_are_named(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    with pytest.raises(ExerciseError) as error:
        _load(tmp_path, SPEC.replace(*change))
    assert message in str(error.value)


# --- synthetic bodies seen from the side -----------------------------------------------------------------


def _up(angle: float) -> np.ndarray:
    """A unit vector ``angle`` degrees from straight up, towards the image right."""
    a = np.radians(angle)
    return np.array([np.sin(a), -np.cos(a)])


def side_body(knee: float, lean: float, arm: float, elbow: float) -> np.ndarray:
    """(17, 3) keypoints of a person facing the image right, both sides on one another: ``knee`` and
    ``elbow`` joint angles (180 straight), the trunk ``lean`` forward from vertical, the upper ``arm``
    raised forward from hanging (0) to overhead (180), in degrees."""
    ankle = np.array([300.0, 500.0])
    shin = (180 - knee) / 2
    knee_at = ankle + 90 * _up(shin)
    hip = knee_at + 90 * _up(shin - (180 - knee))
    shoulder = hip + 110 * _up(lean)
    elbow_at = shoulder + 60 * _up(180 - arm)
    wrist = elbow_at + 55 * _up(elbow - arm)
    head = shoulder + 30 * _up(lean)
    joints = {
        "ankle": ankle,
        "knee": knee_at,
        "hip": hip,
        "shoulder": shoulder,
        "elbow": elbow_at,
        "wrist": wrist,
    }
    named = {f"{side}_{k}": tuple(v) for side in ("left", "right") for k, v in joints.items()}
    named |= {"nose": (head[0] + 15, head[1])} | {f"{s}_ear": tuple(head) for s in ("left", "right")}
    named |= {f"{s}_eye": (head[0] + 10, head[1] - 5) for s in ("left", "right")}
    return make_keypoints(named)


def _wave(low: float, high: float, reps: int, rep_s: float = 2.5, rest_s: float = 1.0) -> np.ndarray:
    """``low`` at rest, then ``reps`` smooth movements to ``high`` and back, at 30 frames/s."""
    rest = np.full(int(rest_s * FPS), low)
    move = low + (high - low) * np.sin(np.linspace(0, np.pi, int(rep_s * FPS))) ** 2
    return np.concatenate([rest, *[np.concatenate([move, rest]) for _ in range(reps)]])


def _track(**motion: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    n = max(len(v) for v in motion.values() if isinstance(v, np.ndarray))
    series = {k: np.broadcast_to(v, (n,)) for k, v in motion.items()}
    keypoints = np.array([side_body(**{k: float(v[i]) for k, v in series.items()}) for i in range(n)])
    return np.arange(n) / FPS, keypoints


def _auto(catalog: ExerciseCatalog, times: np.ndarray, keypoints: np.ndarray) -> tuple[str | None, int]:
    frames = [(t, [_person(k)]) for t, k in zip(times, keypoints, strict=True)]
    person = count_reps(frames, catalog, "auto")[0]
    return person.exercise, person.count


def _person(keypoints: np.ndarray) -> Person:
    x, y = keypoints[:, 0], keypoints[:, 1]
    return Person(Box(x.min(), y.min(), x.max(), y.max(), 0.9), 0.9, keypoints, track_id=1)


def test_a_deadlift_is_a_deadlift_not_a_squat(catalog: ExerciseCatalog) -> None:
    """Hips hinge to 70 degrees of lean, knees soft (175 -> 150), arms hanging: 3 deadlifts."""
    lean = _wave(0, 70, 3)
    times, keypoints = _track(knee=175 - 25 * lean / 70, lean=lean, arm=0.0, elbow=175.0)
    assert _auto(catalog, times, keypoints) == ("deadlift", 3)
    counted = count_track(catalog.get("deadlift"), times, keypoints)
    assert [c.level for c in counted.reps[0].checks] == ["ok", "ok", "ok"]


def test_a_front_raise_is_not_a_lateral_raise(catalog: ExerciseCatalog) -> None:
    """Straight arms raised forward to shoulder height, standing still: 4 front raises."""
    times, keypoints = _track(knee=178.0, lean=0.0, arm=_wave(5, 95, 4), elbow=175.0)
    assert _auto(catalog, times, keypoints) == ("front_raise", 4)
    checks = {c.id: c.level for c in count_track(catalog.get("front_raise"), times, keypoints).reps[1].checks}
    assert checks == {"height": "ok", "straight_arms": "ok", "no_swing": "ok"}


def test_a_squat_is_still_a_squat(catalog: ExerciseCatalog) -> None:
    knee = _wave(175, 80, 3)
    times, keypoints = _track(knee=knee, lean=(175 - knee) / 3, arm=90.0, elbow=175.0)
    assert _auto(catalog, times, keypoints) == ("squat", 3)


def test_new_exercises_are_bilingual_with_checks(catalog: ExerciseCatalog) -> None:
    for exercise_id in ("shoulder_press", "sit_up", "deadlift", "front_raise"):
        exercise = catalog.get(exercise_id)
        assert exercise.title["zh"] != exercise.title["en"] and len(exercise.checks) >= 3
        assert all(c.title["zh"] != c.title["en"] for c in exercise.checks)
    docs = (REPO / "docs" / "exercises.md").read_text(encoding="utf-8")
    assert all(f"`{e}`" in docs for e in catalog.ids)


# --- checks on joints a body cannot take -----------------------------------------------------------------


def _push_ups(elbow_at_bottom: float, forearm: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """3 push-ups seen from the side: hands and feet on the floor, the body straight, the shoulders
    lowered by bending the elbows from 170 degrees to ``elbow_at_bottom`` (the elbows behind, towards the
    feet); the forearm ``forearm`` times its length where the elbow is under 100 degrees (a misplaced
    wrist)."""
    upper, lower, floor, hand_x = 60.0, 55.0, 500.0, 400.0
    frames = []
    for e in _wave(170, elbow_at_bottom, 3):
        height = np.sqrt(upper**2 + lower**2 - 2 * upper * lower * np.cos(np.radians(e)))
        wrist, shoulder = np.array([hand_x, floor]), np.array([hand_x, floor - height])
        # the elbow: upper arm from the shoulder and forearm from the wrist meeting behind them
        along = (upper**2 - lower**2 + height**2) / (2 * height)
        elbow = shoulder + np.array([-np.sqrt(max(upper**2 - along**2, 0.0)), along])
        if e < 100:
            wrist = elbow + forearm * (wrist - elbow)
        ankle = np.array([hand_x - 300, floor])
        hip = shoulder + 0.4 * (ankle - shoulder)
        joints = {"shoulder": shoulder, "elbow": elbow, "wrist": wrist, "hip": hip}
        joints |= {"knee": (hip + ankle) / 2, "ankle": ankle}
        named = {f"{side}_{k}": tuple(v) for side in ("left", "right") for k, v in joints.items()}
        head = shoulder + np.array([30.0, -5.0])
        named |= {"nose": (head[0] + 15, head[1] + 5)} | {f"{s}_ear": tuple(head) for s in ("left", "right")}
        named |= {f"{s}_eye": (head[0] + 10, head[1]) for s in ("left", "right")}
        frames.append(make_keypoints(named))
    return np.arange(len(frames)) / FPS, np.array(frames)


def test_bone_ratio_is_length_over_the_tracks_median() -> None:
    _, keypoints = _push_ups(80, forearm=1 / 3)
    ratio = bone_ratio(keypoints, "left_elbow", "left_wrist")
    assert np.nanmedian(ratio) == pytest.approx(1.0)
    assert np.nanmin(ratio) == pytest.approx(1 / 3, rel=0.01)


def test_an_impossible_elbow_angle_is_not_measurable_never_ok() -> None:
    """Elbow angles folded to 13 degrees at the bottoms (the elbows placed on the back): the depth check
    is "not measurable here" (unknown, implausible), not "well bent"; at 80 degrees it is judged."""
    exercise = ExerciseCatalog.load("default").get("push_up")
    depth = [c.id for c in exercise.checks].index("elbow_depth")
    for bottom, level, reason in ((13, "unknown", "implausible"), (80, "ok", None)):
        times, keypoints = _push_ups(bottom)
        angles = joint_angle(*(point(keypoints, f"left_{j}") for j in ("shoulder", "elbow", "wrist")))
        assert np.nanmin(angles) == pytest.approx(bottom, abs=1)
        counted = count_track(exercise, times, keypoints)
        assert counted.count == 3
        results = [rep.checks[depth] for rep in counted.reps]
        assert {(r.level, r.reason) for r in results} == {(level, reason)}
        assert bottom >= MIN_JOINT_ANGLE["elbow"] or all(r.value is None for r in results)


def test_a_shrunken_forearm_is_not_measured() -> None:
    """The wrist pulled to a third of the forearm at the bottoms: the elbow angle there is not judged."""
    exercise = ExerciseCatalog.load("default").get("push_up")
    times, keypoints = _push_ups(80, forearm=1 / 3)
    rep = count_track(exercise, times, keypoints).reps[0]
    depth = next(c for c in rep.checks if c.id == "elbow_depth")
    assert (depth.level, depth.reason, depth.value) == ("unknown", "implausible", None)
    assert depth.to_dict()["reason"] == "implausible"


def test_the_report_says_not_measurable_and_why() -> None:
    exercise = ExerciseCatalog.load("default").get("push_up")
    check = next(c for c in exercise.checks if c.id == "elbow_depth")
    unknown = CheckResult("elbow_depth", check.title, "turn", None, "deg", "unknown", "implausible")
    line = check_line(check, [(1, unknown), (2, unknown)])
    assert line.level == "unknown" and "placed where a body cannot be" in line.text
    with pytest.raises(ValueError, match="says why"):
        CheckResult("elbow_depth", check.title, "turn", None, "deg", "unknown")


# --- the shared push-up clips ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def push_up_runs(fast_model: UniModel) -> dict[str, list]:
    options = VideoOptions(AnalysisOptions(), frame_stride=2, output_scale=0.5)
    return {
        clip: [(f.time, f.persons) for f in process_video(fast_model, VIDEOS / clip, None, options).frames]
        for clip in ("pushup_side_gym.mp4", "push_up_side_lowcam_webcam.mp4")
    }


def test_no_ok_elbow_below_30_degrees_on_the_push_up_clips(
    push_up_runs: dict, catalog: ExerciseCatalog
) -> None:
    """Issue 25 item 4: on the shared push-up clips, no elbow check is ok with an elbow under 30 degrees,
    and the signals plotted leave a gap (NaN) wherever an elbow reads under 30 degrees."""
    elbow = Measure("joint_angle", ("left_shoulder", "left_elbow", "left_wrist"))
    judged = 0
    for frames in push_up_runs.values():
        person = count_reps(frames, catalog, "push_up")[0]
        for rep in person.counted.reps:
            for check in rep.checks:
                if check.id in ("elbow_depth", "lockout") and check.level == "ok":
                    assert check.value is not None and check.value >= 30
                    judged += 1
        keypoints = track_series(frames)[1][person.track_id]
        seen, trusted = (measure_series(elbow, keypoints, trusted=t) for t in (False, True))
        assert np.all(np.isnan(trusted[seen < 30]))
        assert np.all(np.isnan(trusted) | (trusted >= 30))
    assert judged >= 10


def test_the_cli_says_none_of_the_catalog_with_the_movement_count(tmp_path: Path) -> None:
    """A catalog without sit-ups: the sit-up clip is none of its exercises (not push-ups), and the
    trunk's rises are offered as the count."""
    full = (REPO / "pose_demo" / "exercises" / "catalog" / "default.yaml").read_text(encoding="utf-8")
    without = full[: full.index("  - id: sit_up")] + full[full.index("  - id: deadlift") :]
    (tmp_path / "gym.yaml").write_text(without, encoding="utf-8")
    out = tmp_path / "reps.json"
    clip, catalog_file = VIDEOS / "sit_up_side_gym.mp4", tmp_path / "gym.yaml"
    proc = cli(
        "reps", clip, "--exercise-catalog", catalog_file, "--stride", "2", "--scale", "0.5", "--json", out
    )
    assert proc.returncode == 0, proc.stderr
    assert "none of the catalog's exercises (the clearest repeated movement: 10 trunk raises)" in proc.stdout
    person = json.loads(out.read_text())["persons"][0]
    assert person["exercise"] is None and person["count"] == 0
    assert person["movement"]["part"] == "trunk" and 9 <= person["movement"]["count"] <= 10
