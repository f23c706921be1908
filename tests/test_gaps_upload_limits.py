"""Upload limits (issue 30, gap 3), each tried just under and just over its bound:

- the app's 50 MB upload size (``pose_demo.app.MAX_FILE_SIZE``, given to Gradio at launch): through a
  live app, as a browser uploads;
- Compare's 60 s per clip (``compare_tab.MAX_DURATION_S``), the Teach tab's 300 s video and 500 photos
  (``teach_tab.MAX_VIDEO_S``, ``MAX_PHOTOS``): through the tabs' handlers in-process;
- the 600 s cap on the ``max_duration`` a client sends (``settings.MAX_DURATION_RANGE``): through the
  Video tab's handler and through the live app's API.

The long clips are grey 64 x 64 pictures at 1 frame/s, made with ffmpeg into a temporary folder.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import httpx
import pytest

from pose_demo.app.compare_tab import CompareTab
from pose_demo.app.core import PoseApp
from pose_demo.app.loaded_models import LoadedModels
from pose_demo.app.outputs import OutputFolders
from pose_demo.app.settings import Settings, SettingsError
from pose_demo.app.teach_tab import Teacher
from pose_demo.app.uploads import UploadFolders
from pose_demo.app.video_tab import VideoTab
from pose_demo.rules import RuleSet
from pose_demo.video.io import ffmpeg_exe, probe
from tests.conftest import DATA_DIR, MODEL_DIR, VIDEOS
from tests.test_security import LiveApp, call, live, upload

__all__ = ["live"]  # the live app fixture (module scope), from test_security
STREET = VIDEOS / "mmpose_demo_street_5frames.mp4"  # 5 frames at 5 fps, persons walking
MIB = 1024 * 1024
TWO_CLASSES = "Name two or more classes"


def grey_clip(folder: Path, seconds: int) -> Path:
    """A grey clip of ``seconds`` at 1 frame/s (nobody in it)."""
    path = folder / f"grey_{seconds}s.mp4"
    command = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-f", "lavfi"]
    command += ["-i", f"color=c=gray:size=64x64:rate=1:duration={seconds}", "-c:v", "libx264"]
    command += ["-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)]
    subprocess.run(command, check=True, timeout=120)
    assert probe(path).duration == pytest.approx(seconds, abs=0.05)
    return path


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    folder = tmp_path_factory.mktemp("clips")
    return {seconds: grey_clip(folder, seconds) for seconds in (59, 61, 299, 301)}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, clips: dict[int, Path]) -> PoseApp:
    """The app in-process, with the shared media and the clips taken as uploaded."""
    uploads = UploadFolders.of(DATA_DIR, clips[59].parent)
    outputs = OutputFolders(tmp_path_factory.mktemp("outputs"))
    return PoseApp(LoadedModels(MODEL_DIR), outputs, RuleSet.load("default"), uploads=uploads)


def refused(handler: Callable[..., Any], *args: Any, **kwargs: Any) -> str:
    """The message of the gr.Error that ``handler`` raises."""
    with pytest.raises(gr.Error) as error:
        handler(*args, **kwargs)
    return str(error.value.message)


# ---------------------------------------------------------------- Compare: 60 s per clip


def test_compare_refuses_a_clip_over_60_s(app: PoseApp, clips: dict[int, Path]) -> None:
    tab = CompareTab(app)
    message = refused(tab.compare, str(clips[61]), str(STREET))
    assert message.startswith("The video lasts 61.0 s, longer than the 60 s limit")
    message = refused(tab.compare, str(STREET), str(clips[61]))  # the athlete's clip alike
    assert message.startswith("The video lasts 61.0 s, longer than the 60 s limit")


def test_compare_takes_a_59_s_clip(app: PoseApp, clips: dict[int, Path]) -> None:
    """Analysed (nobody is in it, which is what is said then), not refused for its length."""
    message = refused(CompareTab(app).compare, str(clips[59]), str(STREET))
    assert "limit" not in message and "grey_59s.mp4" in message


# ---------------------------------------------------------------- Teach: 300 s of video, 500 photos

RANGES = {"headers": ["start", "end", "label"], "data": [[1, 2, "a"], [3, 4, "b"]]}


def test_teach_refuses_a_video_over_300_s(app: PoseApp, clips: dict[int, Path]) -> None:
    message = refused(Teacher(app).preview, str(clips[301]), RANGES)
    assert message.startswith("The video lasts 301.0 s, longer than the 300 s limit")


def test_teach_takes_a_299_s_video(app: PoseApp, clips: dict[int, Path]) -> None:
    gallery = Teacher(app).preview(str(clips[299]), RANGES)
    assert len(gallery) == 6  # start, middle and end of each class's range
    assert all(Path(path).is_file() and caption for path, caption in gallery)


@pytest.mark.parametrize(("photos", "message"), [(500, TWO_CLASSES), (501, "At most 500 photos in all")])
def test_teach_takes_at_most_500_photos(app: PoseApp, photos: int, message: str) -> None:
    """Counted before anything is opened: with one class named, 500 photos get the next message."""
    payloads = [f"/nowhere/photo_{i}.jpg" for i in range(photos)]
    assert refused(Teacher(app).train, None, None, class_1="deep", photos_1=payloads).startswith(message)


def test_teach_counts_the_photos_of_every_class(app: PoseApp) -> None:
    payloads = [f"/nowhere/photo_{i}.jpg" for i in range(251)]
    message = refused(
        Teacher(app).train, None, None, class_1="a", photos_1=payloads, class_2="b", photos_2=payloads[:250]
    )
    assert message.startswith("At most 500 photos in all")


# ---------------------------------------------------------------- max_duration: at most 600 s


@pytest.mark.parametrize(
    ("seconds", "allowed"), [(1.0, True), (600.0, True), (600.5, False), (3600.0, False), (0.5, False)]
)
def test_max_duration_is_checked_against_1_to_600_s(seconds: float, allowed: bool) -> None:
    catalog = RuleSet.load("default")
    if allowed:
        assert Settings.parse(catalog, max_duration=seconds).max_duration == seconds
    else:
        with pytest.raises(SettingsError, match="maximum duration"):
            Settings.parse(catalog, max_duration=seconds)


def test_the_video_tab_refuses_a_max_duration_over_600_s(app: PoseApp) -> None:
    tab = VideoTab(app)
    assert "maximum duration" in refused(tab.predict_video, {"path": str(STREET)}, max_duration=601.0)
    video, json_file, *_ = tab.predict_video({"path": str(STREET)}, max_duration=600.0)
    assert Path(video).is_file() and Path(json_file).is_file()


# ---------------------------------------------------------------- the live app: 50 MB, and the API


@pytest.fixture(scope="module")
def http(live: LiveApp) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=120) as client:
        yield client


def test_the_live_app_takes_uploads_up_to_50_mb(http: httpx.Client) -> None:
    """48 MiB is uploaded; 51 MiB is refused by the server before it is kept (50 MB is 50 MiB to Gradio)."""
    taken = http.post("/gradio_api/upload", files={"files": ("big.mp4", b"\0" * (48 * MIB))})
    assert taken.status_code == 200 and len(taken.json()) == 1
    too_big = http.post("/gradio_api/upload", files={"files": ("bigger.mp4", b"\0" * (51 * MIB))})
    assert too_big.status_code == 413, too_big.text[:200]


def test_the_live_app_refuses_a_max_duration_over_600_s(live: LiveApp) -> None:
    video = upload(live.url, STREET.read_bytes(), "street.mp4")
    event, message = call(live.url, "predict_video", video, max_duration=601)
    assert event == "error" and "maximum duration" in message
    event, outputs = call(live.url, "predict_video", video, max_duration=600)
    assert event == "complete", outputs
