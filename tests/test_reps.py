"""Repetition counting: the exercise catalog, the counting engine on synthetic signals, and the labelled clips
of ../shared/data/videos/reps.json and reps_more.json (given exercise and auto; stride 2; det_interval 3; a
walker; a catalog without the clip's exercise says so and offers the movement's count)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pose_demo import AnalysisOptions, UniModel
from pose_demo.exercises import ExerciseCatalog, ExerciseError, PersonReps, count_reps, count_track
from pose_demo.exercises.live import LiveReps
from pose_demo.exercises.schema import Thresholds
from pose_demo.geometry import make_keypoints
from pose_demo.results import Box, Person
from pose_demo.video import VideoOptions, process_video
from tests.conftest import REPO, VIDEOS

LABELS = {
    clip: label
    for name in ("reps.json", "reps_more.json")
    for clip, label in json.loads((VIDEOS / name).read_text())["clips"].items()
}
TURN_TOLERANCE_S = 0.5
SCALE = 0.5  # frames at half size: quicker, same counts
FPS = 30.0


@pytest.fixture(scope="module")
def catalog() -> ExerciseCatalog:
    return ExerciseCatalog.load("default")


# --- the catalog -------------------------------------------------------------------------------------------


def test_builtin_catalog(catalog: ExerciseCatalog) -> None:
    assert catalog.ids == [
        "squat",
        "push_up",
        "lateral_raise",
        "biceps_curl",
        "lunge",
        "jumping_jack",
        "shoulder_press",
        "sit_up",
        "deadlift",
        "front_raise",
    ]
    for exercise in catalog.exercises:
        assert exercise.title["en"] and exercise.title["zh"] != exercise.title["en"]
        assert exercise.checks and all(c.title["zh"] for c in exercise.checks)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "gym.yaml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """
exercises:
  - id: step_up
    title: {en: Step-up, zh: 登阶}
    signal: {joint_angle: [left_hip, left_knee, left_ankle], sides: min}
    work: decreasing
    thresholds: {start: 150, turn: 110}
    min_amplitude: 30
"""


def test_user_file_loads(tmp_path: Path) -> None:
    exercise = ExerciseCatalog.load(_write(tmp_path, GOOD)).get("step_up")
    assert exercise.thresholds == Thresholds(150, 110)
    assert exercise.signal.sides == "min" and exercise.phases == ("eccentric", "concentric")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("left_knee, left_ankle]", "left_kne, left_ankle]"),
            "exercise 'step_up', field 'signal.joint_angle'",
        ),
        (
            ("sides: min", "sides: median"),
            "field 'signal.sides': The signal.sides 'median' is not available: choose one of min, max, mean.",
        ),
        (("turn: 110", "turn: 160"), "field 'thresholds.turn': must be below start (150)"),
        (
            ("work: decreasing", "work: down"),
            "field 'work': The work 'down' is not available: choose one of increasing, decreasing.",
        ),
        (("min_amplitude: 30", "min_amplitude: -1"), "field 'min_amplitude'"),
        (("    min_amplitude: 30", "    min_amplitude: 30\n    reps: 3"), "unknown key 'reps'"),
    ],
)
def test_errors_name_file_exercise_and_field(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    path = _write(tmp_path, GOOD.replace(*change))
    with pytest.raises(ExerciseError) as caught:
        ExerciseCatalog.load(path)
    assert str(caught.value).startswith(str(path)) and message in str(caught.value)


def test_yaml_aliases_and_unknown_ids_are_refused(tmp_path: Path, catalog: ExerciseCatalog) -> None:
    aliased = GOOD.replace("title: {en: Step-up, zh: 登阶}", "title: &t {en: Step-up, zh: 登阶}")
    aliased = aliased.replace("min_amplitude: 30", "min_amplitude: 30\n    checks: [{id: a, title: *t}]")
    with pytest.raises(ExerciseError, match="anchors and aliases"):
        ExerciseCatalog.load(_write(tmp_path, aliased))
    with pytest.raises(ExerciseError, match=r"No exercise 'pushup'.*push_up.*or auto"):
        catalog.get("pushup")
    with pytest.raises(ExerciseError, match="no such exercise file or built-in catalog"):
        ExerciseCatalog.load("nowhere")


# --- the engine on synthetic squats ------------------------------------------------------------------------


def squat_keypoints(knee_angles: np.ndarray) -> np.ndarray:
    """(N, 17, 3) keypoints of an upright person seen from the side bending both knees to these angles;
    NaN angles give frames where the person is not seen (score 0)."""
    frames = []
    for angle in knee_angles:
        if np.isnan(angle):
            frames.append(np.zeros((17, 3)))
            continue
        a = np.radians(angle)
        knee = np.array([200.0, 300.0])
        hip = knee + 80 * np.array([np.sin(a), np.cos(a)])
        points = {"ankle": (200.0, 380.0), "knee": tuple(knee), "hip": tuple(hip)}
        points |= {"shoulder": (hip[0], hip[1] - 100), "wrist": (hip[0] + 60, hip[1] - 100)}
        named = {f"{side}_{k}": v for side in ("left", "right") for k, v in points.items()}
        named |= {"left_elbow": (hip[0] + 30, hip[1] - 100), "right_elbow": (hip[0] + 30, hip[1] - 100)}
        frames.append(make_keypoints(named))
    return np.array(frames)


def squats(reps: int, bottom: float = 70.0, rest_s: float = 1.0, rep_s: float = 2.0) -> np.ndarray:
    """Knee angles at 30 frames/s: standing (175 deg), then ``reps`` smooth squats down to ``bottom``."""
    rest = np.full(int(rest_s * FPS), 175.0)
    down_up = 175 - (175 - bottom) * np.sin(np.linspace(0, np.pi, int(rep_s * FPS))) ** 2
    return np.concatenate([rest, *[np.concatenate([down_up, rest]) for _ in range(reps)]])


def count(angles: np.ndarray, catalog: ExerciseCatalog, thresholds: Thresholds | None = None) -> list[float]:
    times = np.arange(len(angles)) / FPS
    counted = count_track(catalog.get("squat"), times, squat_keypoints(angles), thresholds)
    return [r.turn for r in counted.reps]


def test_clean_squats_are_counted_at_their_bottoms(catalog: ExerciseCatalog) -> None:
    turns = count(squats(3), catalog)
    assert turns == pytest.approx([2.0, 5.0, 8.0], abs=0.1)  # rest 1 s, then 2 s reps with 1 s rests
    counted = count_track(catalog.get("squat"), np.arange(len(squats(3))) / FPS, squat_keypoints(squats(3)))
    rep = counted.reps[0]
    assert rep.range[0] == pytest.approx(70, abs=2) and rep.range[1] == pytest.approx(175, abs=4)
    assert rep.tempo["eccentric"] == pytest.approx(rep.tempo["concentric"], abs=0.15)
    assert rep.asymmetry == pytest.approx(0, abs=1)
    assert counted.summary.count == 3 and counted.summary.duration_trend == pytest.approx(0, abs=0.05)


def test_shallow_squatter_is_counted_and_told(catalog: ExerciseCatalog) -> None:
    times = np.arange(len(squats(3, bottom=120))) / FPS
    counted = count_track(catalog.get("squat"), times, squat_keypoints(squats(3, bottom=120)))
    assert counted.count == 3  # auto thresholds: the person's own range
    assert {c.id: c.level for c in counted.reps[0].checks}["depth"] == "fail"


def test_jitter_and_spikes_count_nothing(catalog: ExerciseCatalog) -> None:
    rng = np.random.default_rng(0)
    standing = 172 + rng.uniform(-6, 6, int(10 * FPS))  # jitter below the minimum amplitude
    assert count(standing, catalog) == []
    spiky = standing.copy()
    spiky[::45] = 60.0  # one-frame spikes to a deep knee angle
    assert count(spiky, catalog) == []
    assert count(spiky, catalog, Thresholds(150, 110)) == []


def test_gaps_neither_add_nor_lose_reps(catalog: ExerciseCatalog) -> None:
    angles = squats(4)
    for start in (
        int(1.5 * FPS),
        int(2.3 * FPS),
        int(6.0 * FPS),
    ):  # on the way down, past the bottom, at rest
        gapped = angles.copy()
        gapped[start : start + int(0.5 * FPS)] = np.nan
        assert len(count(gapped, catalog)) == 4
    long_gap = angles.copy()
    long_gap[int(1.5 * FPS) : int(2.7 * FPS)] = np.nan  # 1.2 s unseen from the descent: phase reset
    assert len(count(long_gap, catalog)) == 3


def test_half_movement_is_not_counted(catalog: ExerciseCatalog) -> None:
    half = 175 - 45 * np.sin(np.linspace(0, np.pi, int(1.5 * FPS))) ** 2  # down to 130 deg and back
    angles = np.concatenate([squats(2), half, np.full(30, 175.0), squats(1)])
    assert len(count(angles, catalog)) == 3
    assert len(count(angles, catalog, Thresholds(150, 110))) == 3


def test_live_counts_carry_the_last_rep_and_reset_to_zero(catalog: ExerciseCatalog) -> None:
    """Frames fed one by one: each squat counted once, the last one's metrics beside the count; after
    ``reset`` the count starts from zero and the squats done before are not counted again."""
    angles = squats(3)
    keypoints = squat_keypoints(np.concatenate([angles, squats(1)]))
    live = LiveReps(catalog, "squat")
    counts = []
    for i, k in enumerate(keypoints):
        if i == len(angles):
            live.reset()
        found = live.update(i / FPS, [Person(Box(0, 0, 400, 400, 0.9), 0.9, k, track_id=7)])
        counts.append(found[7].count if 7 in found else None)
    before = [c for c in counts[: len(angles)] if c is not None]
    assert before == sorted(before) and before[-1] == 3 and before[0] == 0
    assert counts[len(angles)] is None  # reset: nothing counted yet
    assert counts[-1] == 1  # the squat after the reset, only
    last = live.update(len(keypoints) / FPS, [])[7].last
    assert last is not None and last.turn > len(angles) / FPS
    assert last.range[0] == pytest.approx(70, abs=8) and last.range[1] > 160


# --- the labelled clips ------------------------------------------------------------------------------------


def _run(model: UniModel, clip: str, stride: int = 1, det_interval: int = 1) -> list:
    options = VideoOptions(
        AnalysisOptions(det_interval=det_interval), frame_stride=stride, output_scale=SCALE
    )
    run = process_video(model, VIDEOS / clip, None, options)
    return [(f.time, f.persons) for f in run.frames]


CASES = [(clip, stride, det) for clip in LABELS for stride, det in ((1, 1), (2, 1), (1, 3))]


@pytest.fixture(scope="module")
def runs(fast_model: UniModel) -> dict[tuple[str, int, int], list]:
    """Each clip processed once per setting, shared by the tests below."""
    return {case: _run(fast_model, *case) for case in CASES}


def _main(persons: list[PersonReps]) -> PersonReps:
    return persons[0]  # the longest-seen track comes first


def _turns_match(turns: list[float], label: dict) -> None:
    """Each counted turning point within ``TURN_TOLERANCE_S`` of its own listed time, in order (a clip may
    count fewer than listed where its first or last repetition is partial: ``reps_accepted``)."""
    times = np.array(label["times"])
    nearest = [int(np.argmin(np.abs(times - t))) for t in turns]
    assert nearest == sorted(set(nearest)), turns
    assert np.abs(times[nearest] - turns).max() <= TURN_TOLERANCE_S, turns


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-stride{c[1]}-det{c[2]}")
@pytest.mark.parametrize("exercise", ["given", "auto"])
def test_labelled_clips(
    runs: dict, catalog: ExerciseCatalog, case: tuple[str, int, int], exercise: str
) -> None:
    label = LABELS[case[0]]
    person = _main(count_reps(runs[case], catalog, label["exercise"] if exercise == "given" else "auto"))
    assert person.exercise == label["exercise"]
    turns = [r.turn for r in person.counted.reps]
    low, high = label.get("reps_accepted", [label["reps"]] * 2)
    assert low <= len(turns) <= high, turns
    _turns_match(turns, label)
    if exercise == "auto":
        assert person.confidence > 0.8


@pytest.mark.parametrize("clip", ["sit_up_side_gym.mp4", "shoulder_press_seated_lowangle_gym.mp4"])
def test_a_movement_outside_the_catalog_is_not_named(runs: dict, catalog: ExerciseCatalog, clip: str) -> None:
    """Without the clip's exercise in the catalog, auto names none (a sit-up is not a push-up), and offers
    the count of the movement that repeats: the trunk rising, the elbows straightening."""
    label = LABELS[clip]
    others = ExerciseCatalog("others", tuple(e for e in catalog.exercises if e.id != label["exercise"]))
    person = _main(count_reps(runs[(clip, 1, 1)], others, "auto"))
    assert person.exercise is None and person.count == 0 and person.counted is None
    assert person.movement is not None
    assert person.movement.exercise.id == {"sit_up": "trunk", "shoulder_press": "elbows"}[label["exercise"]]
    low, high = label["reps_accepted"]
    assert low <= person.movement_count <= high
    movement = person.to_dict()["movement"]
    assert movement["count"] == person.movement_count and len(movement["turns"]) == movement["count"]


def test_walker_gets_no_exercise(fast_model: UniModel, catalog: ExerciseCatalog) -> None:
    persons = count_reps(_run(fast_model, "sports2d_demo_parkour_walk.mp4"), catalog, "auto")
    assert persons
    assert all(p.exercise is None and p.count == 0 and p.movement_count == 0 for p in persons)


def test_reps_command(tmp_path: Path) -> None:
    clip = "squat_side_view.mp4"
    out_json, out_csv = tmp_path / "reps.json", tmp_path / "reps.csv"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pose_demo.cli",
            "reps",
            str(VIDEOS / clip),
            "--exercise",
            "squat",
            "--stride",
            "2",
            "--scale",
            str(SCALE),
            "--json",
            str(out_json),
            "--csv",
            str(out_csv),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Squat" in proc.stdout and "3 reps" in proc.stdout
    data = json.loads(out_json.read_text())
    assert data["video"]["file"] == clip and data["video"]["processed"]["frame_stride"] == 2
    person = data["persons"][0]
    assert person["exercise"] == "squat" and person["count"] == 3 and person["set"]["count"] == 3
    rep = person["reps"][0]
    assert set(rep) >= {"index", "start", "turn", "end", "duration", "range", "tempo", "checks"}
    assert rep["start"] < rep["turn"] < rep["end"] and set(rep["tempo"]) == {"eccentric", "concentric"}
    assert {c["id"] for c in rep["checks"]} == {"depth", "trunk_lean", "knee_valgus"}
    rows = list(csv.DictReader(out_csv.open()))
    assert [r["index"] for r in rows] == ["1", "2", "3"] and rows[0]["check_depth"] in ("ok", "fail")


def test_reps_command_unknown_exercise() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pose_demo.cli", "reps", "x.mp4", "--exercise", "pushup"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (
        proc.returncode == 2
        and "The exercise 'pushup' is not available" in proc.stderr
        and "Traceback" not in proc.stderr
    )
