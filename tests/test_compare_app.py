"""The Compare tab (issue 14): its handler in-process, the ``/compare`` endpoint of a live app through
gradio_client (and an attack on it), and the tab in headless Chromium (the side-by-side video plays; its
screenshot goes to ``test-artifacts/compare.jpg``; ``assets/screenshots/`` is refreshed from it by hand)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import gradio as gr
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from playwright.sync_api import Playwright

from pose_demo.app.compare_tab import DIFFERENCE_COLUMNS, CompareTab, MotionCache
from pose_demo.app.core import PoseApp
from pose_demo.app.loaded_models import LoadedModels
from pose_demo.app.outputs import OutputFolders
from pose_demo.app.uploads import NOT_UPLOADED, UploadFolders
from pose_demo.app.video_tab import VideoTab
from pose_demo.models.budget import SMALL_KEYPOINTS
from pose_demo.rules import RuleSet
from pose_demo.video import probe
from tests.conftest import IMAGES, MODEL_DIR, VIDEOS
from tests.test_app import running_app
from tests.test_browser import TIMEOUT_MS, VIEWPORT, launch, playwright, screenshots  # noqa: F401 (a fixture, found by name)
from tests.test_compare import ffmpeg
from tests.test_security import REFUSED, call, upload

SQUAT = VIDEOS / "squat_side_view.mp4"
STANDING = IMAGES / "side_frame_squat_f0030_standing.jpg"
DEEP_SQUAT = IMAGES / "side_frame_squat_f0257_deep_squat.jpg"


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """2 s of the squat (its way down, 480 wide) and the same slowed to 2/3 speed (3 s)."""
    d = tmp_path_factory.mktemp("clips")
    ref = ffmpeg("-ss", 1.5, "-t", 2, "-i", SQUAT, "-vf", "scale=480:-2", "-an", "-c:v", "libx264",
                 "-preset", "ultrafast", d / "squat_ref.mp4")  # fmt: skip
    slow = ffmpeg("-i", ref, "-vf", "setpts=1.5*PTS,fps=30", "-an", "-c:v", "libx264", "-preset",
                  "ultrafast", d / "squat_slow.mp4")  # fmt: skip
    return {"ref": ref, "slow": slow}


@pytest.fixture(scope="module")
def tab(tmp_path_factory: pytest.TempPathFactory, clips: dict[str, Path]) -> CompareTab:
    outputs = OutputFolders(tmp_path_factory.mktemp("outputs"))
    uploads = UploadFolders.of(clips["ref"].parent, IMAGES)  # in-process, as if uploaded
    app = PoseApp(LoadedModels(MODEL_DIR), outputs, RuleSet.load("default"), uploads=uploads)
    return CompareTab(app, MotionCache())


def test_two_photos_in_process(tab: CompareTab) -> None:
    video, picture, summary, table, files, plot = tab.compare(
        {"path": str(STANDING)}, {"path": str(DEEP_SQUAT)}
    )
    assert video is None and Path(picture).is_file()
    assert summary.startswith("## Score ")
    assert list(table.columns) == DIFFERENCE_COLUMNS and "knee" in " ".join(table["angle"])
    names = [Path(f).suffix for f in files]
    assert names == [".json", ".csv", ".jpg", ".png"] and plot is not None
    data = json.loads(Path(files[0]).read_text())
    assert data["alignment"] == [[0, 0]] and data["score"] < 50


def test_the_video_tabs_run_and_this_tabs_are_reused(tab: CompareTab, clips: dict[str, Path]) -> None:
    small = {"keypoint_model": SMALL_KEYPOINTS}  # with auto, each tab's budget could pick another model
    analysed = VideoTab(tab.app).predict_video({"path": str(clips["ref"])}, **small)[2]  # the tab's state
    ref, slow = {"path": str(clips["ref"])}, {"path": str(clips["slow"])}
    video, _, summary, *_ = tab.compare(ref, slow, video=analysed, **small)
    assert "the reference's poses (found in the Video tab)" in summary
    assert "athlete" not in summary.split("Reused, not analysed again")[1]
    info = probe(video)
    assert (info.codec, info.frames, info.width) == ("h264", 90, 960)
    assert int(summary.split()[2]) >= 95
    again = tab.compare(ref, slow, tolerance=5, **small)[2]
    earlier = "the reference's poses (found for an earlier comparison), the athlete's poses (found for an"
    assert earlier in again


def test_the_handler_opens_only_uploads(tab: CompareTab) -> None:
    outside = {"path": str(VIDEOS / "squat_side_view.mp4")}  # not in this app's upload folders
    photo = {"path": str(STANDING)}
    for reference, athlete in ((outside, photo), (photo, outside), ({"path": "/etc/passwd"}, photo)):
        with pytest.raises(gr.Error) as error:
            tab.compare(reference, athlete)
        assert error.value.message == NOT_UPLOADED
    with pytest.raises(gr.Error, match="Compare two videos or two photos"):
        tab.compare(photo, {"path": str(tab.app.uploads.folders[0] / "squat_ref.mp4")})


# ---------------------------------------------------------------- the live app


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_app(tmp_path_factory.mktemp("app")) as url:
        yield url


def test_compare_endpoint(app_url: str, clips: dict[str, Path]) -> None:
    client = Client(app_url, verbose=False)
    video, picture, summary, table, files, _ = client.predict(
        handle_file(str(clips["ref"])), handle_file(str(clips["slow"])), api_name="/compare"
    )
    assert picture is None and int(summary.split()[2]) >= 95
    info = probe(video["video"] if isinstance(video, dict) else video)
    assert (info.codec, info.frames, info.width, info.height) == ("h264", 90, 960, 272)
    assert sorted(Path(f).suffix for f in files) == [".csv", ".json", ".mp4", ".png"]
    data = json.loads(Path(next(f for f in files if f.endswith(".json"))).read_text())
    assert data["alignment"][0] == [0, 0] and data["alignment"][-1] == [59, 89]
    assert table["headers"] == DIFFERENCE_COLUMNS
    video, picture, summary, table, files, _ = client.predict(
        handle_file(str(STANDING)), handle_file(str(DEEP_SQUAT)), api_name="/compare"
    )
    assert video is None and Path(picture).suffix == ".jpg" and int(summary.split()[2]) < 50
    assert any("knee" in row[0] for row in table["data"]) and len(files) == 4
    with pytest.raises(AppError) as error:  # refused by the handler, or before it (StudioBlocks)
        client.predict({"path": str(STANDING)}, handle_file(str(DEEP_SQUAT)), api_name="/compare")
    assert str(error.value) in (NOT_UPLOADED, REFUSED)
    assert str(STANDING) not in str(error.value)


def test_server_files_are_refused_with_the_neutral_message(app_url: str) -> None:
    """Raw HTTP with hand-made payloads: the same answer whether the path exists or not, never the path."""
    photo = upload(app_url, STANDING.read_bytes(), "standing.jpg")
    messages = set()
    for path in (str(STANDING), "/etc/passwd", "/proc/self/cmdline", str(IMAGES / "no_such.jpg")):
        for payload in ({"path": path}, {"path": path, "meta": {"_type": "gradio.FileData"}}):
            for reference, athlete in ((payload, photo), (photo, payload)):
                event, message = call(app_url, "compare", reference, athlete=athlete)
                assert event == "error" and message in (NOT_UPLOADED, REFUSED), (path, message)
                messages.add(message)
    assert len(messages) == 1  # the same answer whether the path exists or not


# ---------------------------------------------------------------- in the browser


def test_compare_tab_in_the_browser(playwright: Playwright, app_url: str, clips: dict[str, Path]) -> None:  # noqa: F811
    browser = launch(playwright)
    try:
        page = browser.new_page(viewport=VIEWPORT)
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(app_url)
        page.get_by_role("tab", name="Compare").click()
        page.locator("#compare-ref input[type=file]").set_input_files(clips["ref"])
        page.locator("#compare-athlete input[type=file]").set_input_files(clips["slow"])
        page.locator("#compare-athlete", has_text="squat_slow").wait_for()
        page.locator("#compare-run").click()
        video = "document.querySelector('#compare-video video')"
        page.wait_for_function(
            f"() => {{ const v = {video}; return v && v.readyState >= 2 && v.duration > 0; }}"
        )
        assert page.evaluate(f"{video}.duration") == pytest.approx(3.0, abs=0.15)
        page.evaluate(f"{video}.muted = true; {video}.play()")
        page.wait_for_function(f"() => {video}.currentTime > 0.5")
        page.evaluate(f"{video}.pause(); {video}.currentTime = 2.0")
        page.locator("#compare-summary", has_text="Score").wait_for()
        assert "times the reference's time (slower)" in page.locator("#compare-summary").inner_text()
        page.locator("#compare-plot img").first.wait_for()
        assert page.locator("#compare-files a").count() == 4
        screenshots(page, "compare")
        # Two photos (on a fresh page): the side-by-side picture takes the video's place.
        page.reload()
        page.get_by_role("tab", name="Compare").click()
        page.locator("#compare-ref input[type=file]").set_input_files(STANDING)
        page.locator("#compare-athlete input[type=file]").set_input_files(DEEP_SQUAT)
        page.locator("#compare-athlete", has_text="deep_squat").wait_for()
        page.locator("#compare-run").click()
        page.locator("#compare-picture img").wait_for()
        assert not page.locator("#compare-video").is_visible()
        assert "Score 0 / 100" in page.locator("#compare-summary").inner_text()
    finally:
        browser.close()
