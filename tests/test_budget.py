"""Quality by budget (issue 28, item 1): the large keypoint model where the job has time for it, the small one
on a slow machine, and the summary says which ran and why."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
from functools import partial
from pathlib import Path

import cv2
import gradio as gr
import numpy as np
import pytest

from pose_demo import UniModel
from pose_demo.app import video_tab
from pose_demo.app.core import PoseApp
from pose_demo.app.image_tab import ImageTab
from pose_demo.app.live import live_figures
from pose_demo.app.loaded_models import LoadedModels
from pose_demo.app.outputs import OutputFolders
from pose_demo.app.settings import Settings, SettingsError
from pose_demo.app.uploads import UploadFolders
from pose_demo.app.video_tab import VideoTab
from pose_demo.app.webcam_tab import WebcamTab
from pose_demo.models.budget import (
    AUTO_KEYPOINTS,
    HEADROOM,
    LARGE_KEYPOINTS,
    LIVE_FPS,
    LIVE_TRIAL_S,
    SMALL_KEYPOINTS,
    LiveBudget,
    ModelChoice,
    afford,
    candidates,
    photo_keypoints,
)
from pose_demo.rules import RuleSet
from pose_demo.video import VideoOptions, check_video
from pose_demo.video.budget import PROBE_FRAMES, choose_video_keypoints, probe_fps, video_keypoints
from tests.conftest import DATA_DIR, IMAGES, MODEL_DIR, REPO, VIDEOS

SQUAT = VIDEOS / "squat_side_view.mp4"  # 30 frames/s
STREET = VIDEOS / "mmpose_demo_street_5frames.mp4"  # 5 frames at 5 frames/s
WALKERS = IMAGES / "front_ochuman_000817_three_people_walking.jpg"
ZH = gr.Request(headers={"accept-language": "zh-CN,zh;q=0.9"})


def test_afford_and_what_the_summary_says() -> None:
    fast = afford(40.0, 37.5)
    assert fast.keypoints == LARGE_KEYPOINTS and fast.reason == "fast_enough"
    assert "at least the 38 frames/s needed" in fast.message()
    slow = afford(20.0, 37.5)
    assert slow.keypoints == SMALL_KEYPOINTS and slow.reason == "too_slow"
    assert slow.message() == (
        f"Keypoint model {SMALL_KEYPOINTS}, the faster one: the more accurate {LARGE_KEYPOINTS} would run at "
        "20 frames/s on this machine, below the 38 frames/s needed."
    )
    assert "每秒" in slow.message("zh-CN")
    assert ModelChoice.image().keypoints == LARGE_KEYPOINTS
    assert ModelChoice.chosen("tinypose_128x96").message() == "Keypoint model tinypose_128x96, as chosen."
    with pytest.raises(ValueError):
        ModelChoice(LARGE_KEYPOINTS, "fast_enough")  # a measured choice without its figures
    with pytest.raises(ValueError):
        ModelChoice(LARGE_KEYPOINTS, "hunch")


def _clock(step_s: float):
    """A clock that advances ``step_s`` at every reading: one reading per frame analysed."""
    ticks = itertools.count()
    return lambda: next(ticks) * step_s


def test_a_slow_machine_gets_the_small_model_and_says_so(fast_model: UniModel) -> None:
    """A machine that takes 50 ms a frame (20 frames/s) cannot keep a 30 frames/s clip's real time with the
    large model: the small one runs; at 5 ms a frame the large one does."""
    info = check_video(SQUAT, 600)
    options = VideoOptions(output_scale=0.5)
    loaded = []

    def load(name: str) -> UniModel:
        loaded.append(name)
        return fast_model  # any model: the clock, not the model, sets the speed here

    slow = video_keypoints(load, info, options, _clock(0.05))
    assert loaded == [LARGE_KEYPOINTS]
    assert slow.keypoints == SMALL_KEYPOINTS and slow.reason == "too_slow"
    assert slow.fps == pytest.approx(20.0) and slow.needed == pytest.approx(30 * HEADROOM)
    assert "the faster one" in slow.message() and "20 frames/s" in slow.message()
    fast = video_keypoints(load, info, options, _clock(0.005))
    assert fast.keypoints == LARGE_KEYPOINTS and fast.fps == pytest.approx(200.0)


def test_probe_times_the_frames_after_the_warmup(fast_model: UniModel) -> None:
    info = check_video(SQUAT, 600)
    stamps = []

    def clock() -> float:
        stamps.append(len(stamps) * 0.1)
        return stamps[-1]

    assert probe_fps(fast_model, info, VideoOptions(output_scale=0.5), clock) == pytest.approx(10.0)
    assert len(stamps) == PROBE_FRAMES + 4  # one reading per frame analysed


def _small_run(tmp_path: Path) -> list[str]:
    return ["--max-frames", "40", "--scale", "0.5", "--json", str(tmp_path / "o.json")]


def test_the_video_command_says_which_model_ran(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pose_demo.cli",
            "video",
            str(SQUAT),
            "--kp-model",
            "auto",
            *_small_run(tmp_path),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"Keypoint model tinypose_(256x192|128x96)\b.* frames/s", proc.stderr), proc.stderr


# ---------------------------------------------------------------- the app: settings, tabs, webcam


@pytest.fixture(scope="module")
def pose_app(tmp_path_factory: pytest.TempPathFactory) -> PoseApp:
    outputs = OutputFolders(tmp_path_factory.mktemp("outputs"))
    uploads = UploadFolders.of(DATA_DIR)  # in-process, the shared media as if uploaded
    return PoseApp(LoadedModels(MODEL_DIR), outputs, RuleSet.load("default"), uploads=uploads)


def test_auto_is_the_default_and_presets_and_explicit_models_win() -> None:
    catalog = RuleSet.load("default")
    assert Settings.parse(catalog).keypoint_model == AUTO_KEYPOINTS
    assert Settings.parse(catalog, keypoint_model=SMALL_KEYPOINTS).keypoint_model == SMALL_KEYPOINTS
    assert Settings.parse(catalog, preset="balanced").keypoint_model == SMALL_KEYPOINTS
    assert Settings.parse(catalog, preset="accurate").keypoint_model == LARGE_KEYPOINTS
    unknown = r"keypoint model 'tinypose_999' is not available: choose one of auto, tinypose_128x96"
    with pytest.raises(SettingsError, match=unknown):
        Settings.parse(catalog, keypoint_model="tinypose_999")
    assert candidates(AUTO_KEYPOINTS) == (LARGE_KEYPOINTS, SMALL_KEYPOINTS)
    assert candidates(SMALL_KEYPOINTS) == (SMALL_KEYPOINTS,)
    assert photo_keypoints(AUTO_KEYPOINTS) == ModelChoice.image()
    assert photo_keypoints(SMALL_KEYPOINTS) == ModelChoice.chosen(SMALL_KEYPOINTS)


def test_choose_video_keypoints_probes_only_for_auto(fast_model: UniModel) -> None:
    info = check_video(STREET, 600)

    def load(name: str) -> UniModel:
        raise AssertionError("a model chosen is not probed")

    assert choose_video_keypoints(SMALL_KEYPOINTS, load, info, VideoOptions()) == ModelChoice.chosen(
        SMALL_KEYPOINTS
    )
    choice = choose_video_keypoints(
        AUTO_KEYPOINTS, lambda name: fast_model, info, VideoOptions(), _clock(0.5)
    )
    assert choice.reason == "too_slow" and choice.to_dict() == {
        "name": SMALL_KEYPOINTS,
        "reason": "too_slow",
        "fps": 2.0,
        "needed": 6.2,
        "flip_main": False,
    }


def test_the_image_tab_gives_a_photo_the_large_model_and_says_so(pose_app: PoseApp) -> None:
    tab = ImageTab(pose_app)
    _, result, analysis = tab.predict_image(str(WALKERS))
    assert analysis.models[1] == LARGE_KEYPOINTS and len(result["persons"]) == 3
    summary = tab.image_details(analysis)[0]
    assert summary == (
        "**3 persons** found.\n\n"
        "Keypoint model tinypose_256x192: a photo always gets the more accurate model."
    )
    assert "照片总是使用更准确的模型" in tab.image_details(analysis, ZH)[0]
    _, _, chosen = tab.predict_image(str(WALKERS), keypoint_model=SMALL_KEYPOINTS)
    assert chosen.models[1] == SMALL_KEYPOINTS
    assert tab.image_details(chosen)[0].endswith("Keypoint model tinypose_128x96, as chosen.")


def test_the_video_tab_on_a_slow_machine_runs_the_small_model_and_says_why(
    pose_app: PoseApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A machine where the large model analyses 2 frames/s (a clock that advances 0.5 s a frame) cannot keep
    the 5 frames/s of the street clip: the small model runs, and the summary and the JSON say why."""
    slow = partial(choose_video_keypoints, clock=_clock(0.5))
    monkeypatch.setattr(video_tab, "choose_video_keypoints", slow)
    tab = VideoTab(pose_app)
    _, frames_json, kept = tab.predict_video(str(STREET))
    analysis = pose_app.results.get(kept)
    assert analysis.report.models[1] == SMALL_KEYPOINTS
    exported = json.loads(Path(frames_json).read_text(encoding="utf-8"))
    assert exported["video"]["keypoint_model"] == analysis.keypoints.to_dict()
    assert analysis.keypoints.reason == "too_slow" and analysis.keypoints.fps == pytest.approx(2.0)
    summary = tab.video_details(kept)[0]
    assert summary.split("\n\n")[1] == (
        "Keypoint model tinypose_128x96, the faster one: the more accurate tinypose_256x192 would run at 2 "
        "frames/s on this machine, below the 6 frames/s needed."
    )
    assert "较快的模型" in tab.video_details(kept, ZH)[0]


def test_the_webcam_keeps_the_large_model_while_it_holds_15_frames_per_second() -> None:
    """Frames every 40 ms: the large model stays at 50 ms of work a frame (20 frames/s), not at 100 ms."""
    for work_ms, kept in ((50.0, LARGE_KEYPOINTS), (100.0, SMALL_KEYPOINTS)):
        budget = LiveBudget()
        ended = [budget.add(k * 0.04, work_ms) for k in range(100)]
        assert ended.index(True) == round(LIVE_TRIAL_S / 0.04) and sum(ended) == 1  # chosen once, at 2 s
        assert budget.keypoints == kept and budget.choice is not None
        assert budget.choice.fps == pytest.approx(1000 / work_ms) and budget.choice.needed == LIVE_FPS
    assert budget.choice.message() == (
        "Keypoint model tinypose_128x96, the faster one: the more accurate tinypose_256x192 would run at 10 "
        "frames/s on this machine, below the 15 frames/s needed."
    )


def test_a_webcam_session_too_slow_for_the_large_model_falls_back_and_says_so(pose_app: PoseApp) -> None:
    """A session that would need 10,000 frames/s (a tiny budget): the large model runs its first 2 s of
    frames (0.1 s apart on the app's clock), then the small one, and the live figures say why."""
    ticks = itertools.count()
    app = PoseApp(pose_app.models, pose_app.outputs, pose_app.catalog, lambda: next(ticks) * 0.1)
    tab = WebcamTab(app)
    frame = load_rgb(STREET)
    _, _, session, _ = tab.webcam_frame(frame, None)
    assert session.stream.model.names[1] == LARGE_KEYPOINTS and session.budget is not None
    session.budget = LiveBudget(needed_fps=10_000.0)
    figures = []
    for _ in range(25):
        _, _, session, shown = tab.webcam_frame(frame, session)
        figures.append(shown)
    assert session.budget.keypoints == SMALL_KEYPOINTS and session.stream.model.names[1] == SMALL_KEYPOINTS
    assert session.recording.key[0][1] == SMALL_KEYPOINTS  # the session's report names the model that ran
    said = [f for f in figures if isinstance(f, str) and "the faster one" in f]
    assert said and said[-1].endswith("below the 10000 frames/s needed.")
    assert "较快的模型" in live_figures(session, "zh-CN")
    # The analysis changed (new tracks): the choice stays with the session.
    _, _, restarted, _ = tab.webcam_frame(frame, session, smoothing="ema")
    assert restarted is not session and restarted.budget is session.budget
    assert restarted.stream.model.names[1] == SMALL_KEYPOINTS
    # A model chosen runs as chosen, with no budget.
    _, _, chosen, _ = tab.webcam_frame(frame, None, keypoint_model=LARGE_KEYPOINTS)
    assert chosen.budget is None and chosen.stream.model.names[1] == LARGE_KEYPOINTS


def load_rgb(video: Path) -> np.ndarray:
    """The first frame of ``video``, RGB and 480 wide, as the browser sends webcam frames."""
    capture = cv2.VideoCapture(str(video))
    ok, frame = capture.read()
    capture.release()
    assert ok
    return cv2.cvtColor(cv2.resize(frame, (480, 270)), cv2.COLOR_BGR2RGB)
