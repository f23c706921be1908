"""The Gradio app: its pure helpers, its handlers in-process, and its API on a live server (gradio_client)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import cv2
import gradio as gr
import numpy as np
import pandas as pd
import pytest
import yaml
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from pose_demo import UniModel, load_image
from pose_demo.app.core import PoseApp
from pose_demo.app.examples import load_manifest, resolve_examples
from pose_demo.app.image_tab import ImageTab
from pose_demo.app.language import ui
from pose_demo.app.layout import build_demo
from pose_demo.app.live import WEBCAM_THREADS, LiveSession
from pose_demo.app.loaded_models import LoadedModels
from pose_demo.app.outputs import OutputFolders
from pose_demo.app.settings import DEFAULT_RULES, Settings, SettingsError
from pose_demo.app.uploads import UploadFolders
from pose_demo.app.video_tab import VideoTab
from pose_demo.app.views import verdict_cell
from pose_demo.app.webcam_tab import WebcamTab, bgr_to_rgb
from pose_demo.bench.served import served_app
from pose_demo.enhance import enhance_dark
from pose_demo.focus import focus_persons
from pose_demo.i18n import translate
from pose_demo.models.budget import LARGE_KEYPOINTS, SMALL_KEYPOINTS
from pose_demo.results import Box, FrameResult, Person, Verdict
from pose_demo.rules import RuleSet
from pose_demo.stream import PoseStream
from pose_demo.tracking import iou_matrix
from pose_demo.video import probe
from pose_demo.visualization.draw import draw_result
from tests.conftest import DATA_DIR, IMAGES, MODEL_DIR, REPO, VIDEOS

WALKERS = IMAGES / "front_ochuman_000817_three_people_walking.jpg"  # 3 persons, 665 x 1000
PLAYERS = IMAGES / "side_mhp_10084_basketball_two_players.jpg"  # 2 persons
DARK = IMAGES / "dark_exlpose_0212_vid000020_exp400_000052.png"  # 1 person, walking on the right
STREET = VIDEOS / "mmpose_demo_street_5frames.mp4"  # 5 frames at 5 fps, 960 x 540
CJK_NAME = re.compile(r"[\u4e00-\u9fff]")


@contextmanager
def running_app(workdir: Path) -> Iterator[str]:
    """``python demo_app.py`` on a free port of 127.0.0.1, as a user starts it, with the shared models and
    examples; yields its URL, stops it."""
    with served_app(
        workdir, {"POSE_DEMO_MODEL_DIR": str(MODEL_DIR), "POSE_DEMO_EXAMPLES_DIR": str(DATA_DIR)}
    ) as url:
        yield url


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_app(tmp_path_factory.mktemp("app")) as url:
        yield url


@pytest.fixture(scope="module")
def client(app_url: str) -> Client:
    return Client(app_url, verbose=False)


@pytest.fixture(scope="module")
def pose_app(tmp_path_factory: pytest.TempPathFactory) -> PoseApp:
    outputs = OutputFolders(tmp_path_factory.mktemp("outputs"))
    # In-process, the handlers are given the shared media as if uploaded.
    uploads = UploadFolders.of(DATA_DIR)
    return PoseApp(LoadedModels(MODEL_DIR), outputs, RuleSet.load("default"), uploads=uploads)


def person(x1: float, y1: float, x2: float, y2: float) -> Person:
    return Person(Box(x1, y1, x2, y2), 0.9, np.zeros((17, 3), np.float32))


# ---------------------------------------------------------------- pure helpers


def test_focus_keeps_the_largest_or_the_most_central_person() -> None:
    small_centre = person(90, 90, 110, 110)  # 20 x 20 at the centre of a 200 x 200 image
    big_corner = person(0, 0, 80, 80)
    persons = [small_centre, big_corner]
    assert focus_persons(persons, (200, 200), "everyone") == persons
    assert focus_persons(persons, (200, 200), "largest") == [big_corner]
    assert focus_persons(persons, (200, 200), "central") == [small_centre]
    assert focus_persons([], (200, 200), "largest") == []
    # "central" measures offsets in image widths / heights: 100 px off in x of a 1000 px wide image
    # is nearer than 50 px off in y of a 100 px tall one.
    wide_off = person(540, 40, 560, 60)
    tall_off = person(490, 80, 510, 100)
    assert focus_persons([tall_off, wide_off], (1000, 100), "central") == [wide_off]
    with pytest.raises(ValueError, match="focus 'tallest' is not available: choose one of everyone"):
        focus_persons(persons, (200, 200), "tallest")


def test_enhance_dark_finds_the_person_in_a_night_street(fast_model: UniModel) -> None:
    image = load_image(DARK)
    assert len(fast_model.predict(image)) == 0  # far too dark as it is
    enhanced = enhance_dark(image)
    assert enhanced.shape == image.shape and enhanced.dtype == np.uint8
    assert enhanced.mean() > 10 * image.mean()
    persons = fast_model.predict(enhanced).persons
    assert len(persons) == 1
    assert persons[0].box.x1 > image.shape[1] / 2  # the walker on the right
    # A well-exposed photo keeps its overall brightness, and its colours (a, b of CIELAB) all but where
    # the new luminance pushes a colour out of the RGB gamut.
    photo = load_image(WALKERS)
    out = enhance_dark(photo)
    assert abs(float(out.mean()) - float(photo.mean())) < 25
    hue_in = cv2.cvtColor(photo, cv2.COLOR_BGR2LAB)[..., 1:].astype(int)
    hue_out = cv2.cvtColor(out, cv2.COLOR_BGR2LAB)[..., 1:].astype(int)
    assert np.percentile(np.abs(hue_in - hue_out), 95) <= 1


def test_settings_are_checked_with_plain_messages() -> None:
    catalog = RuleSet.load("default")
    assert Settings.parse(catalog) == Settings()
    s = Settings.parse(catalog, rules=["trunk_lean"], show=["boxes"], rule_file="/tmp/x.yaml")
    assert s.rules == ("trunk_lean",) and s.show == ("boxes",) and s.rule_file == "/tmp/x.yaml"
    assert s.draw_options().show_boxes and not s.draw_options().show_track_ids
    with pytest.raises(SettingsError, match=r"detector '/etc' is not available: choose one of picodet"):
        Settings.parse(catalog, detector="/etc")
    with pytest.raises(SettingsError, match=r"detection threshold must be a number from 0\.0 to 1\.0, not 2"):
        Settings.parse(catalog, det_threshold=2)
    with pytest.raises(SettingsError, match=r"Unknown rules \['slouch'\]"):
        Settings.parse(catalog, rules=["trunk_lean", "slouch"])
    with pytest.raises(SettingsError, match=r"Unknown settings \['colour'\]"):
        Settings.parse(catalog, colour="red")
    assert Settings().rule_set(catalog).ids == list(DEFAULT_RULES)
    assert Settings(rules=()).rule_set(catalog) is None


def test_loaded_models_load_each_pair_once_under_concurrent_calls() -> None:
    loaded = LoadedModels(MODEL_DIR)
    barrier = threading.Barrier(4)

    def get(_: int) -> UniModel:
        barrier.wait()
        return loaded.get("picodet_s_192_lcnet_pedestrian", "tinypose_128x96")

    with ThreadPoolExecutor(4) as pool:
        models = list(pool.map(get, range(4)))
    assert all(m is models[0] for m in models)
    assert loaded.loaded == [("picodet_s_192_lcnet_pedestrian", "tinypose_128x96", 0)]


def test_examples_manifest_matches_the_shared_files(tmp_path: Path) -> None:
    examples = load_manifest()
    assert {e.kind for e in examples} == {"image", "video"}
    for e in examples:
        local = DATA_DIR / e.path
        assert hashlib.sha256(local.read_bytes()).hexdigest() == e.sha256, e.path
        assert re.fullmatch(r"https://raw\.githubusercontent\.com/[\w.-]+/[\w.-]+/[0-9a-f]{40}/\S+", e.url)
    images = resolve_examples("image", local_dir=DATA_DIR)
    assert [e for e, _ in images] == [e for e in examples if e.kind == "image"]
    assert all(CJK_NAME.search(e.zh) for e, _ in images)  # each has its Chinese name
    assert all(path.is_file() for _, path in images)
    assert resolve_examples("video", local_dir=tmp_path) == []  # a folder without them: no examples, no error


def test_examples_download_once_and_refuse_a_bad_hash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Downloads go through the model store's checked fetch (file:// URLs stand in for the network)."""
    monkeypatch.delenv("POSE_DEMO_EXAMPLES_DIR", raising=False)  # CI points it at ../shared/data
    good = tmp_path / "src" / "a.jpg"
    good.parent.mkdir()
    good.write_bytes(WALKERS.read_bytes())
    digest = hashlib.sha256(good.read_bytes()).hexdigest()
    entries = [
        {"name": "ok", "kind": "image", "path": "images/a.jpg", "url": good.as_uri(), "sha256": digest},
        {"name": "bad", "kind": "image", "path": "images/b.jpg", "url": good.as_uri(), "sha256": "0" * 64},
        {
            "name": "gone",
            "kind": "image",
            "path": "images/c.jpg",
            "url": (tmp_path / "no.jpg").as_uri(),
            "sha256": digest,
        },
        {"name": "escape", "kind": "image", "path": "../d.jpg", "url": good.as_uri(), "sha256": digest},
    ]
    manifest = tmp_path / "examples.yaml"
    manifest.write_text(yaml.safe_dump({"examples": entries}))
    cache = tmp_path / "cache"
    found = resolve_examples("image", manifest, download_dir=cache)
    assert [(e.name, path) for e, path in found] == [("ok", cache / "images" / "a.jpg")]
    assert sorted(p.name for p in (cache / "images").iterdir()) == ["a.jpg"]  # nothing half-written left
    good.unlink()  # cached now: no second download
    assert resolve_examples("image", manifest, download_dir=cache) == found
    assert resolve_examples("image", tmp_path / "missing.yaml", download_dir=cache) == []


# ---------------------------------------------------------------- handlers, in-process


def test_redraw_reuses_the_prediction(pose_app: PoseApp) -> None:
    tab = ImageTab(pose_app)
    annotated_path, result, analysis = tab.predict_image(str(WALKERS), keypoint_model=SMALL_KEYPOINTS)
    assert Path(annotated_path).name == f"{WALKERS.stem}_pose.jpg"
    annotated = load_image(annotated_path)
    assert len(result["persons"]) == 3
    summary, table, legend, json_path = tab.image_details(analysis)
    assert summary == "**3 persons** found.\n\nKeypoint model tinypose_128x96, as chosen."
    assert list(table["person"]) == [1, 2, 3]  # one row per person, one column per rule
    titles = [r.title["en"] for r in pose_app.catalog.select(DEFAULT_RULES).rules]
    assert list(table.columns) == ["person", "track", *titles]
    assert "Shoulder level** (front view only): mild from ±2°, severe from ±4°" in legend
    assert Path(json_path).name == f"{WALKERS.stem}_poses.json"
    model = pose_app.models.get(*analysis.models)
    model.timer.enabled = True
    model.timer.reset()
    try:
        bare = load_image(tab.redraw(analysis, show=[], thickness=2.0))
        assert not model.timer.totals  # no model ran
    finally:
        model.timer.enabled = False
    assert bare.shape == annotated.shape
    assert not np.array_equal(bare, annotated)
    assert np.array_equal(load_image(tab.redraw(analysis)), annotated)  # same options: same picture
    # Without "angles" and "rule labels", no verdict is drawn.
    persons = [replace(p, rules=[]) for p in analysis.result.persons]
    ruleless = replace(analysis, result=FrameResult(persons, analysis.result.image_size))
    assert analysis.result.persons[0].rules
    assert np.array_equal(
        load_image(tab.redraw(analysis, show=["boxes"])),
        load_image(tab.redraw(ruleless, show=["boxes"])),
    )


def test_video_summary_downloads_and_angle_plot(pose_app: PoseApp) -> None:
    tab = VideoTab(pose_app)
    video, frames_json, analysis = tab.predict_video(str(STREET))
    assert Path(video).name == "mmpose_demo_street_5frames_pose.mp4"
    exported = json.loads(Path(frames_json).read_text(encoding="utf-8"))
    summary, files, reps, verdicts, tracks, measurements, first_plot, pick = tab.video_details(analysis)
    assert pick.shape == (540, 960, 3)  # the frame to click a person in, as analysed
    assert reps.empty and "Repetitions" not in summary  # no exercise asked for
    assert summary.startswith("**5 frames** (960x540 at 5.00 fps)")
    assert first_plot.axes[0].get_title(loc="left") == f"track #{tracks['value']}"
    assert [Path(f).suffix for f in files] == [".csv", ".gif"]
    with Image.open(files[1]) as gif:
        assert gif.width == 480  # large enough for the labels to be read
    persons = sum(len(f["persons"]) for f in exported["frames"])
    assert len(Path(files[0]).read_text(encoding="utf-8").splitlines()) == 1 + persons  # header + a row each
    ids = [value for _, value in tracks["choices"]]
    counts = {t: sum(any(p["track_id"] == t for p in f["persons"]) for f in exported["frames"]) for t in ids}
    assert tracks["value"] == ids[0] and counts[ids[0]] == max(counts.values())  # the longest track first
    label = tracks["choices"][0][0]  # who it is: id, time followed, where in the frame
    assert re.fullmatch(rf"#{ids[0]}: {counts[ids[0]] / 5:.1f} s, (left|middle|right) of the frame", label)
    assert [value for _, value in measurements["choices"]] == measurements["value"]
    assert measurements["value"] == [r for r in DEFAULT_RULES if r not in ("hand_over_head",)]  # the angles
    assert ("Left knee angle", "left_knee_angle") in measurements["choices"]
    # The plot's points are the JSON's values of the chosen track and measurements, with a gap (NaN) in
    # the frames where that track is absent or the measurement unknown; joint angles and tilts/leans get
    # axes of their own, and the legend lists only the measurements chosen.
    track = ids[-1]
    figure = tab.angle_plot(analysis, track, ["left_knee_angle", "trunk_lean"])
    joint_axis, lean_axis = figure.axes[:2]
    ((line,),) = [joint_axis.get_lines()]
    expected = [
        next(
            (
                r["value"]
                for p in f["persons"]
                if p["track_id"] == track
                for r in p["rules"]
                if r["id"] == "left_knee_angle"
            ),
            None,
        )
        for f in exported["frames"]
    ]
    plotted = [None if np.isnan(v) else round(float(v), 2) for v in line.get_ydata()]
    assert plotted == expected and None in expected and any(v is not None for v in expected)
    assert list(line.get_xdata()) == [f["time"] for f in exported["frames"]]
    assert [t.get_text() for t in joint_axis.get_legend().get_texts()] == ["Left knee angle"]
    assert [t.get_text() for t in lean_axis.get_legend().get_texts()] == ["Trunk lean"]
    assert joint_axis.get_ylim() == (0.0, 180.0) and lean_axis.get_ylabel() == "tilt / lean (deg)"
    assert len(tab.angle_plot(analysis, track, ["left_knee_angle"]).axes) == 1
    # The rules over the video, per track: the measurement's median and range, the share of frames flagged
    first = verdicts.iloc[0]
    assert list(verdicts["track"]) == ids and first["frames seen"] == counts[ids[0]]
    knees = [
        r["value"]
        for f in exported["frames"]
        for p in f["persons"]
        if p["track_id"] == ids[0]
        for r in p["rules"]
        if r["id"] == "left_knee_angle" and r["value"] is not None
    ]
    words = re.fullmatch(r"median ([\d.]+) deg, ([\d.]+) to ([\d.]+)", first["Left knee angle"])
    assert words is not None, first["Left knee angle"]
    shown = [float(x) for x in words.groups()]  # the JSON's values are rounded to 0.01
    assert shown == pytest.approx([np.median(knees), min(knees), max(knees)], abs=0.06)
    assert re.fullmatch(
        r"flagged in \d+ % of frames( \(severe in \d+ %\))?|not seen", first["Shoulder level"]
    )
    assert re.fullmatch(r"yes in \d+ % of frames|not seen", first["Hand over head"])


def test_output_folders_are_removed_when_expired(tmp_path: Path) -> None:
    folders = OutputFolders(tmp_path, max_age_s=60)
    old, recent = folders.new(), folders.new()
    os.utime(old, (time.time() - 120,) * 2)
    newest = folders.new()
    assert sorted(tmp_path.iterdir()) == sorted([recent, newest])


def frames(video: Path, count: int, step: int) -> list[np.ndarray]:
    """``count`` RGB frames, every ``step``-th, as the browser sends webcam frames."""
    capture = cv2.VideoCapture(str(video))
    out = []
    for k in range(count * step):
        ok, frame = capture.read()
        assert ok
        if k % step == 0:
            out.append(cv2.cvtColor(cv2.resize(frame, (480, 270)), cv2.COLOR_BGR2RGB))
    capture.release()
    return out


class FrameClock:
    """A clock the test controls: each reading is one webcam frame interval after the previous one."""

    def __init__(self, step_s: float) -> None:
        self.step_s = step_s
        self.now = 0.0

    def __call__(self) -> float:
        self.now += self.step_s
        return self.now


def test_webcam_sessions_do_not_share_state(pose_app: PoseApp) -> None:
    """Two sessions streaming different scenes, frames interleaved: each keeps its own track and smoothing.

    Shared state would make the second session's person a second track of the first session's tracker
    (and smoother, and rule history). Frames are timed by a clock the test controls, so that what the
    tracker holds does not depend on how fast this machine runs the models.
    """
    clock = FrameClock(0.1)  # two sessions, each getting a frame every 0.2 s (a webcam on a busy server)
    app = PoseApp(pose_app.models, pose_app.outputs, pose_app.catalog, clock)
    tab = WebcamTab(app)
    squat = frames(VIDEOS / "squat_side_view.mp4", 6, 10)
    raise_ = frames(VIDEOS / "sports2d_demo5_dumbbell_lateral_raise.mp4", 6, 10)
    sessions = {"squat": None, "raise": None}
    last_tables, last_times, sent = {}, {}, {"squat": 0, "raise": 0}
    for a, b in zip(squat, raise_, strict=True):
        for name, frame in (("squat", a), ("raise", b)):
            image, table, sessions[name], _ = tab.webcam_frame(frame, sessions[name], strength=1.0)
            assert image.shape == frame.shape
            last_times[name] = clock.now
            if isinstance(table, pd.DataFrame):  # else skipped: sent at most every WEBCAM_WORDS_EVERY_S
                last_tables[name] = table
                sent[name] += 1
    assert sent == {"squat": 2, "raise": 2}  # frames 0.2 s apart: the table goes with every third
    assert sessions["squat"] is not sessions["raise"]
    for name, scene in (("squat", squat), ("raise", raise_)):
        stream = sessions[name].stream
        assert stream.smoother.track_ids == [1]  # one person, one track, in each session
        assert set(last_tables[name]["track"]) == {1}
        # The session's tracker follows its own person only: one track, where its scene's person is
        # (the track's box at the time of the session's last frame against a fresh detection on it).
        raw = stream.model.predict(np.ascontiguousarray(scene[-1][..., ::-1])).persons
        ((track_id, box),) = stream.tracker.predict_boxes(last_times[name])
        assert track_id == 1 and len(raw) == 1
        assert iou_matrix(box.as_xyxy()[None], raw[0].box.as_xyxy()[None])[0, 0] > 0.7


def test_webcam_session_restarts_only_when_the_analysis_changes(pose_app: PoseApp) -> None:
    """Drawing options apply to the running session; analysis settings start a new one (new tracks)."""
    tab = WebcamTab(pose_app)
    (frame,) = frames(STREET, 1, 1)
    _, _, session, _ = tab.webcam_frame(frame, None)
    _, _, redrawn, _ = tab.webcam_frame(frame, session, thickness=2.0, show=["boxes"], kp_threshold=0.5)
    assert redrawn is session
    for change in ({"smoothing": "ema"}, {"det_threshold": 0.7}, {"focus": "largest"}, {"rules": []}):
        _, _, restarted, _ = tab.webcam_frame(frame, session, **change)
        assert restarted is not session and restarted.stream is not session.stream, change


def test_webcam_applies_every_setting(pose_app: PoseApp) -> None:
    """Threshold, focus and drawing options reach the session's stream, whose drawing is the one shown."""
    tab = WebcamTab(pose_app)
    (frame,) = frames(STREET, 1, 1)
    settings = {"focus": "largest", "show": ["track ids", "angles"], "thickness": 2.0}
    settings |= {"keypoint_model": SMALL_KEYPOINTS}
    image, table, _, _ = tab.webcam_frame(frame, None, **settings)
    s = pose_app.settings(**settings)
    frame_bgr = np.ascontiguousarray(frame[..., ::-1])
    fresh = PoseStream(pose_app.models.get(*s.models, WEBCAM_THREADS), s.analysis_options(pose_app.catalog))
    result = fresh.analyse(frame_bgr, 0.0)
    assert len(result) == 1 and set(table["track"]) == {result.persons[0].track_id}
    assert np.array_equal(image, bgr_to_rgb(draw_result(frame_bgr, result, s.draw_options())))
    image, table, _, _ = tab.webcam_frame(frame, None, det_threshold=0.99)
    assert table.empty and np.array_equal(image, frame)


# ---------------------------------------------------------------- the live app, through gradio_client


def test_predict_image_returns_the_annotated_image_and_the_cli_json(client: Client) -> None:
    annotated, result = client.predict(handle_file(str(WALKERS)), api_name="/predict_image")
    image = load_image(annotated)
    assert image.shape == (1000, 665, 3)
    assert result["image"] == {"width": 665, "height": 1000}
    assert len(result["persons"]) == 3
    for p in result["persons"]:
        assert len(p["box"]) == 4 and len(p["keypoints"]) == 17
        assert [r["id"] for r in p["rules"]] == list(DEFAULT_RULES)
    # Settings are optional keywords: the main person only, no rules.
    _, main = client.predict(handle_file(str(WALKERS)), focus="largest", rules=[], api_name="/predict_image")
    assert len(main["persons"]) == 1 and "rules" not in main["persons"][0]
    areas = [(b[2] - b[0]) * (b[3] - b[1]) for b in (p["box"] for p in result["persons"])]
    assert main["persons"][0]["box"] == result["persons"][int(np.argmax(areas))]["box"]


def test_docs_examples_run(app_url: str) -> None:
    """The gradio_client examples of docs/app.md, run as written (only the URL and the files swapped in)."""
    text = (REPO / "docs" / "app.md").read_text(encoding="utf-8")
    code = "\n".join(re.findall(r"```python\n(.*?)```", text, re.S))
    for placeholder in (
        'Client("http://127.0.0.1:7860/")',
        'handle_file("photo.jpg")',
        'handle_file("clip.mp4")',
    ):
        assert placeholder in code
    code = code.replace("http://127.0.0.1:7860/", app_url)
    code = code.replace("photo.jpg", str(WALKERS)).replace("clip.mp4", str(STREET))
    code = code.replace("coach.mp4", str(STREET)).replace("athlete.mp4", str(STREET))
    namespace: dict[str, object] = {}
    exec(compile(code, "docs/app.md", "exec"), namespace)
    result = namespace["result"]
    assert isinstance(result, dict) and len(result["persons"]) == 1  # focus="largest"
    assert Path(str(namespace["annotated"])).is_file()
    frames = json.loads(Path(str(namespace["frames_json"])).read_text(encoding="utf-8"))["frames"]
    assert [f["index"] for f in frames] == [0, 2, 4]  # frame_stride=2
    assert probe(str(namespace["video"])).frames == 3


def test_readme_client_example_runs(app_url: str) -> None:
    """README's gradio_client snippet, run as written (only the URL and the photo swapped in)."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    code = next(b for b in re.findall(r"```python\n(.*?)```", text, re.S) if "gradio_client" in b)
    code = code.replace("http://127.0.0.1:7860/", app_url).replace("photo.jpg", str(WALKERS))
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert len(namespace["result"]["persons"]) == 1  # focus="largest"
    assert Path(str(namespace["annotated"])).is_file()


@pytest.mark.parametrize(
    ("content", "settings", "message"),
    [
        (b"just some text", {}, "This file is not an image that can be read"),
        (b"", {}, "The image file is empty (0 bytes)"),
        (WALKERS.read_bytes()[:20000], {}, "The image is truncated or damaged"),
        (None, {"detector": "yolo"}, "The detector 'yolo' is not available"),
        (None, {"kp_threshold": 3}, "The keypoint threshold must be a number from 0.0 to 1.0"),
        (None, {"rules": ["slouch"]}, "Unknown rules ['slouch']"),
        (
            None,
            {"rule_file": b"rules:\n  - id: x\n    title: {en: X, zh: X}\n    kind: posture\n"},
            "my_rules.yaml: rule 'x', field 'kind'",
        ),
    ],
    ids=["text", "empty", "truncated", "detector", "threshold", "rule-id", "rule-file"],
)
def test_bad_inputs_get_a_plain_message(
    client: Client, tmp_path: Path, content: bytes | None, settings: dict, message: str
) -> None:
    upload = tmp_path / "photo.jpg"
    upload.write_bytes(WALKERS.read_bytes() if content is None else content)
    if "rule_file" in settings:
        rules = tmp_path / "my_rules.yaml"
        rules.write_bytes(settings["rule_file"])
        settings = {"rule_file": handle_file(str(rules))}
    with pytest.raises(AppError) as error:
        client.predict(handle_file(str(upload)), **settings, api_name="/predict_image")
    text = str(error.value)
    assert message in text
    assert "Traceback" not in text and "/tmp/" not in text and str(tmp_path) not in text


def test_predict_video_returns_the_video_and_a_json_entry_per_frame(client: Client) -> None:
    video, frames_json = client.predict(handle_file(str(STREET)), api_name="/predict_video")
    out = probe(video)
    assert (out.codec, out.width, out.height, out.frames) == ("h264", 960, 540, 5)
    exported = json.loads(Path(frames_json).read_text(encoding="utf-8"))
    assert exported["video"]["processed"]["frames"] == 5
    assert [f["index"] for f in exported["frames"]] == [0, 1, 2, 3, 4]
    persons = [p for f in exported["frames"] for p in f["persons"]]
    assert persons and all(len(p["keypoints"]) == 17 and "track_id" in p for p in persons)
    assert any(p["track_id"] == 1 for p in persons)
    assert all([r["id"] for r in p["rules"]] == list(DEFAULT_RULES) for p in persons)
    # Every other frame, no rules.
    video, frames_json = client.predict(
        handle_file(str(STREET)), frame_stride=2, rules=[], api_name="/predict_video"
    )
    exported = json.loads(Path(frames_json).read_text(encoding="utf-8"))
    assert [f["index"] for f in exported["frames"]] == [0, 2, 4]
    assert probe(video).frames == 3
    assert all(p["rules"] == [] for f in exported["frames"] for p in f["persons"])
    # The main person only, with the same track id throughout.
    _, frames_json = client.predict(handle_file(str(STREET)), focus="largest", api_name="/predict_video")
    exported = json.loads(Path(frames_json).read_text(encoding="utf-8"))
    assert [len(f["persons"]) for f in exported["frames"]] == [1] * 5
    assert len({f["persons"][0]["track_id"] for f in exported["frames"]}) == 1


def test_predict_video_says_which_keypoint_model_ran_and_why(client: Client) -> None:
    """By default (``auto``) the large model where the clip keeps real time with it on this machine, else
    the small one; the JSON says which and why (the Video tab's summary says it in words, see
    tests/test_budget.py). A model chosen runs as chosen; an unknown one is refused, naming those allowed."""

    def keypoint_model(**settings: str) -> dict:
        _, frames_json = client.predict(handle_file(str(STREET)), **settings, api_name="/predict_video")
        return json.loads(Path(frames_json).read_text(encoding="utf-8"))["video"]["keypoint_model"]

    auto = keypoint_model()
    assert auto["needed"] == 6.2  # the clip's 5 frames/s, with HEADROOM
    fast = auto["fps"] >= auto["needed"]
    assert (auto["name"], auto["reason"]) == (
        (LARGE_KEYPOINTS, "fast_enough") if fast else (SMALL_KEYPOINTS, "too_slow")
    )
    assert not auto["flip_main"] or auto["name"] == LARGE_KEYPOINTS  # tried with the large model only
    chosen = {"name": SMALL_KEYPOINTS, "reason": "chosen", "flip_main": False}
    assert keypoint_model(keypoint_model=SMALL_KEYPOINTS) == chosen
    with pytest.raises(AppError) as error:
        keypoint_model(keypoint_model="tinypose_999")
    assert "The keypoint model 'tinypose_999' is not available: choose one of auto, tinypose_128x96" in str(
        error.value
    )


@pytest.mark.parametrize(
    ("source", "settings", "message"),
    [
        (b"just some text", {}, "This file could not be read as a video"),
        (b"", {}, "The video file is empty (0 bytes)"),
        (WALKERS, {}, "This file is a still image, not a video"),
        (
            VIDEOS / "squat_side_view.mp4",
            {"max_duration": 5},
            "The video lasts 10.7 s, longer than the 5 s limit: raise the Max duration slider",
        ),
        (STREET, {"frame_stride": 0}, "The frame stride must be a whole number from 1 to 30"),
    ],
    ids=["text", "empty", "still-image", "too-long", "stride"],
)
def test_bad_videos_get_a_plain_message(
    client: Client, tmp_path: Path, source: bytes | Path, settings: dict, message: str
) -> None:
    upload = tmp_path / "clip.mp4"
    upload.write_bytes(source.read_bytes() if isinstance(source, Path) else source)
    with pytest.raises(AppError) as error:
        client.predict(handle_file(str(upload)), **settings, api_name="/predict_video")
    assert message in str(error.value)
    assert "Traceback" not in str(error.value) and "/tmp/" not in str(error.value)


def test_verdict_cells_read_as_words() -> None:
    """Words, also for a debounced grade whose value is unknown in this frame (a stream shows those)."""
    rule = RuleSet.load("default").select(["shoulder_level", "hand_over_head"]).rules
    shoulder = Verdict("shoulder_level", rule[0].title, "screening", 4.12, "deg", "mild", True, ())
    assert verdict_cell(shoulder) == "4.1 deg, mild"
    assert verdict_cell(replace(shoulder, value=None)) == "mild"
    assert verdict_cell(replace(shoulder, level="ok", value=None)) == "not seen"
    assert verdict_cell(replace(shoulder, level="unknown")) == "not seen"
    assert verdict_cell(replace(shoulder, level="unknown", value=None, unmet="front")) == "needs front view"
    lean = replace(shoulder, level="unknown", value=52.04, unmet="standing_still")
    assert verdict_cell(lean) == "judged only when standing upright and still (52.0 deg)"
    hands = Verdict("hand_over_head", rule[1].title, "action", 1.0, "", "ok", True, ())
    assert verdict_cell(hands) == "yes" and verdict_cell(replace(hands, triggered=False)) == "no"


def test_image_results_say_what_was_found_and_what_to_try(pose_app: PoseApp) -> None:
    """Nothing shown before a result; nobody found: what to try; the table reads as one row per person."""
    tab = ImageTab(pose_app)
    assert tab.image_details(None)[0] == "" and tab.image_details(None)[1].empty
    cleared = tab.clear_image()
    assert cleared[0] is None and cleared[2] is None and cleared[3] == "" and cleared[4].empty
    _, result, analysis = tab.predict_image(str(DARK))
    assert result["persons"] == []
    summary, table, legend, _ = tab.image_details(analysis)
    assert summary.startswith("**Nobody found.** Try the accurate person detector (Accurate: PicoDet 320)")
    assert "a lower detection threshold, now 0.5" in summary and '"Enhance dark images"' in summary
    assert table.empty and legend == ""
    _, result, analysis = tab.predict_image(str(DARK), enhance=True, det_threshold=0.2)
    summary, table, _, _ = tab.image_details(analysis)
    assert summary.split("\n\n")[0] == "**1 person** found." and len(table) == 1
    levels = {cell.split(", ")[-1] for cell in table.iloc[0, 2:] if ", " in cell}
    assert levels <= {"mild", "severe"}
    assert all(
        cell == "not seen"
        or cell[0].isdigit()
        or cell[0] == "-"
        or cell in ("yes", "no")
        or cell.startswith(("needs ", "judged only when standing"))  # out of the rule's view or context
        for cell in table.iloc[0, 2:]
    )


def test_rule_file_is_checked_at_upload(pose_app: PoseApp, tmp_path: Path) -> None:
    """A bad rule file is refused at once with its line and column, and removed; a good one is in force
    and greys out the built-in rules."""
    bad = tmp_path / "my_rules.yaml"
    bad.write_text("rules:\n  - id: a\n    measure: {joint_angle: [left_hip, left_knee\n")
    file, rules, status = pose_app.check_rule_file(str(bad))
    assert file is None and rules["interactive"] is True
    assert status.startswith("**my_rules.yaml is not in force.**") and "line 4, column 1" in status
    # The whole message survives: "<stream end>" is escaped, not swallowed as an HTML tag by the Markdown.
    assert "got '&lt;stream end&gt;' (while parsing a flow sequence)" in status
    assert str(tmp_path) not in status
    good = tmp_path / "gym.yaml"
    good.write_text(
        "rules:\n  - id: knee\n    title: {en: Knee, zh: 膝}\n    kind: measurement\n"
        "    measure: {joint_angle: [left_hip, left_knee, left_ankle]}\n"
    )
    file, rules, status = pose_app.check_rule_file(str(good))
    assert rules["interactive"] is False
    assert status == "**In force instead of the rules chosen:** the 1 rules of gym.yaml (Knee)."
    assert pose_app.check_rule_file(None) == (None, {"__type__": "update", "interactive": True}, "")


def test_api_page_describes_endpoints_for_a_reader(app_url: str) -> None:
    """Plain descriptions (no reStructuredText markup), saying what a person's score is."""
    with urllib.request.urlopen(app_url + "gradio_api/info", timeout=30) as response:
        endpoints = json.load(response)["named_endpoints"]
    assert set(endpoints) == {"/predict_image", "/predict_video", "/compare"}  # nothing private is exposed
    for endpoint in endpoints.values():
        assert "``" not in endpoint["description"] and endpoint["description"].endswith(
            "Every setting is optional."
        )
    assert "mean confidence of its 17 keypoints" in endpoints["/predict_image"]["description"]
    notes = {
        p["parameter_name"]: p["python_type"]["description"]
        for e in endpoints.values()
        for p in e["parameters"]
    }
    assert notes["video"] == "The video: handle_file(path or URL)."
    assert notes["rule_file"].startswith("Optional: a YAML rule file")
    assert not any("FileData" in note for note in notes.values())
    # No traffic statistics published (the API page would show "p50: 0 ms" for endpoints never timed).
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(app_url + "monitoring/summary", timeout=30)
    assert refused.value.code == 403


def test_missing_examples_are_said_once_in_the_ui(pose_app: PoseApp) -> None:
    """No examples (e.g. offline): each gallery is replaced by one line saying why and what to do."""
    demo = build_demo(pose_app, [], [])
    notes = [b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "no-examples"]
    assert len(notes) == 2 and notes[0].value == str(ui("ui.no_examples"))
    assert "POSE_DEMO_EXAMPLES_DIR" in translate("ui.no_examples", "en")
    examples = {e.kind: e for e in load_manifest()}
    with_examples = build_demo(pose_app, [(examples["image"], WALKERS)], [(examples["video"], STREET)])
    assert not [b for b in with_examples.blocks.values() if getattr(b, "elem_id", None) == "no-examples"]


def test_video_with_an_exercise_counts_reps_live_and_offers_the_report(pose_app: PoseApp) -> None:
    """Squats in the Video tab: the count drawn and in the per-frame JSON as they happen, the rep table, and
    the repetitions and the session report among the downloads."""
    clip = VIDEOS / "squat_side_view.mp4"
    tab = VideoTab(pose_app)
    _, frames_json, analysis = tab.predict_video(
        str(clip), exercise="squat", max_duration=15, keypoint_model=SMALL_KEYPOINTS
    )
    summary, files, reps, *_ = tab.video_details(analysis)
    assert "track #1: **3 x Squat**" in summary
    assert list(reps["rep"]) == [1, 2, 3] and set(reps["track"]) == {1}
    assert [Path(f).name for f in files][2:] == [
        f"{clip.stem}_{k}" for k in ("reps.json", "reps.csv", "report.html")
    ]
    assert json.loads(Path(files[2]).read_text(encoding="utf-8"))["persons"][0]["count"] == 3
    assert "Session report" in Path(files[4]).read_text(encoding="utf-8")
    counts = [
        p["reps"]["count"]
        for f in json.loads(Path(frames_json).read_text(encoding="utf-8"))["frames"]
        for p in f["persons"]
        if "reps" in p
    ]
    assert counts == sorted(counts) and counts[-1] == 3 and counts[0] == 0  # counted as they happen
    with pytest.raises(gr.Error, match="The exercise 'pushup' is not available"):
        tab.predict_video(str(clip), exercise="pushup")


def test_webcam_sessions_count_repetitions_each_their_own(pose_app: PoseApp) -> None:
    """Two webcam sessions with an exercise, frames interleaved at the webcam's pace: each counts its own
    person's repetitions (3 squats; lateral raises, auto-detected), shown in its verdict table."""
    clock = FrameClock(0.1)  # each session gets a frame every 0.2 s: every 6th frame of a 30 fps clip
    app = PoseApp(pose_app.models, pose_app.outputs, pose_app.catalog, clock)
    tab = WebcamTab(app)
    squat = frames(VIDEOS / "squat_side_view.mp4", 53, 6)  # 10.6 s at 5 frames/s
    raise_ = frames(VIDEOS / "sports2d_demo5_dumbbell_lateral_raise.mp4", 45, 6)  # the first 2 raises
    sessions: dict[str, LiveSession | None] = {"squat": None, "raise": None}
    tables = {}
    small = {"keypoint_model": SMALL_KEYPOINTS}  # pinned counts: not the model the machine's load picks
    settings = {"squat": {"exercise": "squat", **small}, "raise": {"exercise": "auto", **small}}
    for a, b in zip(squat, raise_ + [None] * (len(squat) - len(raise_)), strict=True):
        for name, frame in (("squat", a), ("raise", b)):
            if frame is not None:
                _, table, sessions[name], _ = tab.webcam_frame(frame, sessions[name], **settings[name])
                tables[name] = table if isinstance(table, pd.DataFrame) else tables.get(name)
    assert list(tables["squat"]["reps"]) == ["3 Squat"]
    assert (
        tables["raise"]["reps"][0].endswith("Lateral raise")
        and int(tables["raise"]["reps"][0].split()[0]) >= 1
    )
    assert sessions["squat"].stream.reps is not sessions["raise"].stream.reps
