"""The app in a real browser: Playwright drives Debian's Chromium against ``python demo_app.py`` on 127.0.0.1.

Screenshots of each tab are saved in ``test-artifacts/`` (``<tab>.png`` full page, ``<tab>.jpg`` sized
for the README, from which ``assets/screenshots/`` is refreshed by hand).
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from pose_demo.app.webcam_tab import WEBCAM_STATE_TTL_S
from pose_demo.bench.webcam import CHROMIUM, CHROMIUM_ARGS
from pose_demo.video import probe
from pose_demo.video.io import ffmpeg_exe
from tests.conftest import IMAGES, REPO, VIDEOS
from tests.test_app import running_app
from tests.test_app_load import app_log, app_pid, cpu_seconds, rss_mb

ARTIFACTS = REPO / "test-artifacts"
VIEWPORT = {"width": 1280, "height": 1000}
TIMEOUT_MS = 180_000  # a busy 2-core machine
WEBCAM_WATCH_S = 25  # how long the webcam test watches the track id


def ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *args], check=True, timeout=120)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A 2 s clip of the squat video for the Video tab, and a 2 s 320x240 y4m of the lateral raise for the
    fake webcam (Chromium loops it)."""
    folder = tmp_path_factory.mktemp("media")
    clip, camera = folder / "squat_2s.mp4", folder / "camera.y4m"
    ffmpeg(
        "-ss",
        "2",
        "-t",
        "2",
        "-i",
        str(VIDEOS / "squat_side_view.mp4"),
        "-vf",
        "scale=480:-2",
        "-an",
        str(clip),
    )
    source = VIDEOS / "sports2d_demo5_dumbbell_lateral_raise.mp4"
    ffmpeg(
        "-ss",
        "9",
        "-t",
        "2",
        "-i",
        str(source),
        "-vf",
        "scale=320:240,fps=15",
        "-pix_fmt",
        "yuv420p",
        str(camera),
    )
    return {"clip": clip, "camera": camera}


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_app(tmp_path_factory.mktemp("app")) as url:
        yield url


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
    with sync_playwright() as p:
        yield p


def launch(playwright: Playwright, *extra_args: str) -> Browser:
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=[*CHROMIUM_ARGS, *extra_args]
    )


@pytest.fixture
def page(playwright: Playwright, app_url: str) -> Iterator[Page]:
    browser = launch(playwright)
    try:
        page = browser.new_page(viewport=VIEWPORT)
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(app_url)
        yield page
    finally:
        browser.close()


def screenshots(page: Page, tab: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{tab}.png", full_page=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=ARTIFACTS / f"{tab}.jpg", type="jpeg", quality=70)
    assert (ARTIFACTS / f"{tab}.jpg").stat().st_size < 300_000


def rows(page: Page, table: str) -> int:
    """Data rows of a gr.Dataframe (a virtualised grid: counted from its aria-rowcount, minus the header)."""
    return int(page.locator(f"#{table} [role=grid]").get_attribute("aria-rowcount")) - 1


def column(page: Page, table: str, index: int) -> list[str]:
    """The texts of a gr.Dataframe column (``index`` from 0)."""
    cells = page.locator(f"#{table} [role=gridcell][aria-colindex='{index + 1}']")
    return [cells.nth(i).inner_text().strip() for i in range(cells.count())]


def test_image_tab(page: Page) -> None:
    page.locator("#image-input input[type=file]").set_input_files(
        IMAGES / "front_ochuman_000817_three_people_walking.jpg"
    )  # an upload starts the analysis
    page.locator("#image-output img").wait_for()
    page.locator("#image-summary", has_text="3 persons found").wait_for()
    assert rows(page, "image-verdicts") == 3  # one row per person, the rules as columns
    assert "Shoulder level" in page.locator("#image-verdicts").inner_text()
    assert "mild from ±2°" in page.locator("#image-legend").inner_text()
    assert page.locator("#image-json a").first.inner_text().strip() != ""
    screenshots(page, "image")


def test_image_example_click_analyses_and_errors_clear_old_results(page: Page, tmp_path: Path) -> None:
    """Before anything is analysed nothing is shown; clicking an example analyses it, as an upload does;
    a rule file with a mistake is refused at upload with its line, and stays named until replaced."""
    assert page.locator("#image-summary").inner_text().strip() == ""
    page.get_by_role("button", name="Dark street").click()
    page.locator("#image-output img").wait_for()
    page.locator("#image-summary", has_text="Nobody found").wait_for()
    assert "Enhance dark images" in page.locator("#image-summary").inner_text()
    page.get_by_role("button", name="Three people walking").click()
    page.locator("#image-summary", has_text="3 persons found").wait_for()
    bad = tmp_path / "my_rules.yaml"
    bad.write_text("rules:\n  - id: a\n    measure: {joint_angle: [left_hip, left_knee\n")
    page.locator("#settings").get_by_text("Settings").first.click()
    page.locator("#rule-file input[type=file]").set_input_files(bad)
    status = page.locator("#rule-file-status", has_text="is not in force")
    status.wait_for()
    assert "line 4, column 1" in status.inner_text() and "<stream end>" in status.inner_text()
    page.wait_for_timeout(13_000)  # longer than a toast lasts
    assert status.is_visible()


def test_video_tab(page: Page, media: dict[str, Path]) -> None:
    page.get_by_role("tab", name="Video").click()
    page.locator("#video-input input[type=file]").set_input_files(media["clip"])
    page.wait_for_function(
        "() => { const v = document.querySelector('#video-output video');"
        " return v && v.readyState >= 2 && v.duration > 0; }"
    )
    duration = page.evaluate("document.querySelector('#video-output video').duration")
    assert duration == pytest.approx(2.0, abs=0.15)
    page.locator("#video-summary strong").first.wait_for()
    frames = probe(media["clip"]).frames
    summary = page.locator("#video-summary").inner_text()
    assert f"{frames} frames" in summary
    assert re.search(r"Keypoint model tinypose_(256x192|128x96)\b.* frames/s", summary)  # which ran, and why
    href = page.locator("#video-json a").first.get_attribute("href")
    exported = page.request.get(href).json()
    assert len(exported["frames"]) == frames
    assert [f["index"] for f in exported["frames"]] == list(range(frames))
    tracked = sum(any(p["track_id"] == 1 for p in f["persons"]) for f in exported["frames"])
    assert tracked >= frames - 3  # the squatting man is followed as track 1 throughout
    names = [page.locator("#video-files a").nth(i).inner_text() for i in range(2)]
    assert all(names)
    page.locator("#video-plot img").first.wait_for()  # the angle plot
    assert page.locator("#video-track input").input_value().startswith("#1: ")  # the longest track, named
    screenshots(page, "video")


def test_webcam_tab(playwright: Playwright, app_url: str, media: dict[str, Path]) -> None:
    browser = launch(
        playwright,
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={media['camera']}",
    )
    try:
        page = browser.new_page(viewport=VIEWPORT)
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(app_url)
        page.get_by_role("tab", name="Webcam").click()
        page.locator("#webcam-start").click()  # the live channel (Gradio's stream: the test below)
        output = page.locator("#webcam-output img")
        output.wait_for()
        assert output.evaluate("e => e.closest('#webcam-live') !== null")
        table = page.locator("#webcam-verdicts")
        page.wait_for_function(
            "() => document.querySelector('#webcam-verdicts [role=grid]')?.getAttribute('aria-rowcount') >= 2"
        )
        first_frame, first_table = output.get_attribute("src"), table.inner_text()
        assert "Left elbow angle" in first_table
        # New annotated frames keep arriving and the verdicts follow the moving arms.
        page.wait_for_function(
            "([src, text]) => document.querySelector('#webcam-output img').src !== src"
            " && document.querySelector('#webcam-verdicts').innerText !== text",
            arg=[first_frame, first_table],
        )
        assert set(column(page, "webcam-verdicts", 1)) == {"1"}  # one person, followed as track 1
        screenshots(page, "webcam")
        # The person in view keeps one track id for the whole session (the fake camera loops its 2 s
        # clip: the person jumps back each time).
        seen, frames = [], set()
        for _ in range(WEBCAM_WATCH_S):
            page.wait_for_timeout(1000)
            seen += column(page, "webcam-verdicts", 1)
            frames.add(output.get_attribute("src"))
        assert set(seen) == {"1"}, seen
        assert len(frames) >= WEBCAM_WATCH_S // 2  # new annotated frames kept coming all along
    finally:
        browser.close()


def test_webcam_sessions_are_dropped_when_tabs_close_or_streams_stop(
    playwright: Playwright, app_url: str, media: dict[str, Path]
) -> None:
    """No growth per webcam session: each session's state is dropped when its tab closes (at once) and
    when its stream stops with the tab open, as at its time limit (WEBCAM_STATE_TTL_S later); the app
    logs each one."""
    pid = app_pid(app_url)

    def ended() -> int:
        return app_log(pid).read_text().count("Webcam session ended")

    browser = launch(
        playwright,
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={media['camera']}",
    )

    def record() -> Page:
        page = browser.new_page(viewport=VIEWPORT)
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(app_url)
        page.get_by_role("tab", name="Webcam").click()
        camera = page.locator("#webcam-input")
        camera.get_by_text("Click to Access Webcam").click()
        camera.get_by_role("button", name="capture photo").click()  # the record button
        page.locator("#webcam-output img").wait_for()
        return page

    def wait_ended(count: int, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while ended() < count and time.monotonic() < deadline:
            time.sleep(0.5)
        assert ended() == count, app_log(pid).read_text()[-2000:]

    try:
        before, sizes = ended(), []
        for i in range(3):
            record().close()
            wait_ended(before + i + 1, 20)
            sizes.append(rss_mb(pid))
        assert sizes[-1] - sizes[0] < 30, sizes  # no growth per session
        page = record()  # a stream that stops while its tab stays open, as at its time limit
        page.locator("#webcam-input").get_by_title("stop recording").click()
        wait_ended(before + 4, WEBCAM_STATE_TTL_S + 10)
        assert not page.is_closed()
        # The live channel (#webcam-start): its session ends with its tab, and the app's CPU goes quiet.
        live = browser.new_page(viewport=VIEWPORT)
        live.set_default_timeout(TIMEOUT_MS)
        live.goto(app_url)
        live.get_by_role("tab", name="Webcam").click()
        live.locator("#webcam-start").click()
        live.locator("#webcam-live #webcam-output img").wait_for()
        page.close()
        live.close()
        wait_ended(before + 5, 20)
        time.sleep(1)
        busy = cpu_seconds(pid)
        time.sleep(3)
        assert cpu_seconds(pid) - busy < 0.3  # nothing keeps analysing after the tab is gone
    finally:
        browser.close()
