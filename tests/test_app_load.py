"""The live app under load: every answer right, and its memory back near its warm-up level afterwards.

Memory is read from outside, as an operator sees it: the resident set of the ``python demo_app.py``
process and its children (``/proc``, Linux).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import gradio as gr
import numpy as np
import pytest
from gradio_client import Client, handle_file

from pose_demo import load_image
from pose_demo.app.core import PoseApp, SessionResults, VideoAnalysis, run_bytes
from pose_demo.app.layout import build_demo
from pose_demo.app.loaded_models import LoadedModels
from pose_demo.app.outputs import OutputFolders
from pose_demo.app.uploads import UploadFolders
from pose_demo.app.video_tab import VideoTab
from pose_demo.app.webcam_tab import WEBCAM_STATE_TTL_S, WEBCAM_TIME_LIMIT_S, WebcamTab, bgr_to_rgb
from pose_demo.rules import RuleSet
from tests.conftest import IMAGES, MODEL_DIR
from tests.test_app import PLAYERS, WALKERS, running_app
from tests.test_security import STREET, call, upload

WARM_UP = [  # each kind of image once: one, two, three persons, a crowd, nobody (dark)
    WALKERS,
    PLAYERS,
    IMAGES / "front_coco_val2017_000000199055_man_standing.jpg",
    IMAGES / "crowd_coco_val2017_000000338905_dinner_table.jpg",
    IMAGES / "dark_exlpose_0212_vid000020_exp400_000052.png",
]
MAX_RSS_GROWTH_MB = 100  # after a bounded load, over the level after warm-up
SETTLE_S = 15  # the app hands free memory back every few seconds (TRIM_EVERY_S)


def children(pid: int) -> list[int]:
    """The child processes of ``pid`` (Linux)."""
    tasks = Path(f"/proc/{pid}/task")
    return [int(c) for task in tasks.iterdir() for c in (task / "children").read_text().split()]


def app_pid(url: str) -> int:
    """The pid of the ``demo_app.py`` this test process started for ``url``."""
    port = url.rstrip("/").rsplit(":", 1)[1]
    for pid in children(os.getpid()):
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        if b"demo_app.py" in args and port.encode() in args:
            return pid
    raise LookupError(f"no demo_app.py child serving {url}")


def app_log(pid: int) -> Path:
    """The file the app writes its log to (its standard output)."""
    return Path(os.readlink(f"/proc/{pid}/fd/1"))


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) the process has used so far, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    """Resident memory of the process and its children, in MB."""
    total_kb = 0
    for p in [pid, *children(pid)]:
        status = Path(f"/proc/{p}/status").read_text().splitlines()
        total_kb += next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    return total_kb / 1024


@pytest.fixture(scope="module")
def pose_app(tmp_path_factory: pytest.TempPathFactory) -> PoseApp:
    return PoseApp(
        LoadedModels(MODEL_DIR), OutputFolders(tmp_path_factory.mktemp("outputs")), RuleSet.load("default")
    )


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_app(tmp_path_factory.mktemp("app")) as url:
        yield url


def test_load_8_clients_x_10_requests(app_url: str) -> None:
    """8 concurrent clients, 10 requests each: every answer is complete and equals the answer alone, and
    the app's memory comes back within 100 MB of its level after warm-up (it used to keep 300 MB)."""
    pid = app_pid(app_url)
    images = [WALKERS, PLAYERS]
    alone = {}
    solo = Client(app_url, verbose=False)
    for path in WARM_UP:
        alone[path] = solo.predict(handle_file(str(path)), api_name="/predict_image")[1]
    assert [len(alone[p]["persons"]) for p in images] == [3, 2]
    time.sleep(1)
    warm_mb = rss_mb(pid)

    def session(k: int) -> list[bool]:
        c = Client(app_url, verbose=False)
        answers = []
        for i in range(10):
            path = images[(k + i) % 2]
            annotated, result = c.predict(handle_file(str(path)), api_name="/predict_image")
            answers.append(result == alone[path] and Path(annotated).is_file())
        return answers

    start = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        answers = [a for client_answers in pool.map(session, range(8)) for a in client_answers]
    assert len(answers) == 80 and all(answers)
    assert time.monotonic() - start < 300
    loaded_mb = rss_mb(pid)
    deadline = time.monotonic() + SETTLE_S
    while (settled_mb := rss_mb(pid)) - warm_mb > MAX_RSS_GROWTH_MB and time.monotonic() < deadline:
        time.sleep(1)
    growth = f"warm-up {warm_mb:.0f} MB, just after the load {loaded_mb:.0f} MB, settled {settled_mb:.0f} MB"
    assert settled_mb - warm_mb <= MAX_RSS_GROWTH_MB, growth


def test_webcam_state_is_dropped_soon_after_its_stream_stops(
    pose_app: PoseApp, caplog: pytest.LogCaptureFixture
) -> None:
    """A webcam session's state lives only while frames come: Gradio drops it WEBCAM_STATE_TTL_S after
    the last one (the time limit ended the stream, or the user did), and says so through the app's log.
    (``tests/test_browser.py`` watches it happen in a real browser, for closed tabs and stopped streams.)"""
    demo = build_demo(pose_app, [], [])
    webcam = next(fn for fn in demo.fns.values() if fn.name == "webcam_frame")
    state = next(block for block in webcam.outputs if isinstance(block, gr.State))
    assert webcam.time_limit == WEBCAM_TIME_LIMIT_S
    assert 5 <= state.time_to_live <= 30 and state.time_to_live == WEBCAM_STATE_TTL_S
    frame = bgr_to_rgb(load_image(IMAGES / "front_frame_lateral_raise_f0000_arms_down.jpg"))
    _, _, session, _ = WebcamTab(pose_app).webcam_frame(frame, None)
    assert session is not None
    with caplog.at_level(logging.INFO, logger="pose_demo.app.webcam_tab"):
        state.delete_callback(session)
    assert "Webcam session ended" in caplog.text


@pytest.fixture(scope="module")
def big_webp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An 8000x6000 photo (48 megapixels, under the 50-megapixel limit) in about 100 KB of WebP."""
    image = np.full((6000, 8000, 3), (40, 120, 200), np.uint8)
    cv2.rectangle(image, (1000, 1000), (3000, 5000), (10, 10, 10), -1)
    path = tmp_path_factory.mktemp("big") / "big.webp"
    cv2.imwrite(str(path), image, [cv2.IMWRITE_WEBP_QUALITY, 10])
    return path


def test_a_burst_of_large_photos_from_new_sessions_is_not_kept(app_url: str, big_webp: Path) -> None:
    """Issue 24, item 3: 20 calls with a 48-megapixel photo, each from a new session (about 140 MB of
    pixels each): right after the burst the app holds at most 500 MB more than before, a minute later at
    most 100 MB more (sessions keep their result and the photo's path, never its pixels)."""
    pid = app_pid(app_url)
    assert big_webp.stat().st_size < 200_000
    content = big_webp.read_bytes()

    def one(_: int) -> str:
        event, outputs = call(app_url, "predict_image", upload(app_url, content, "big.webp"))
        return event if event != "complete" else str(outputs[1]["image"])

    assert one(0) == "{'width': 8000, 'height': 6000}"  # warm-up
    time.sleep(SETTLE_S)
    before = rss_mb(pid)
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(one, range(20)))
    after = rss_mb(pid)
    time.sleep(60)
    later = rss_mb(pid)
    figures = f"before {before:.0f} MB, right after {after:.0f} MB, a minute later {later:.0f} MB"
    print(figures)
    assert answers == ["{'width': 8000, 'height': 6000}"] * 20
    assert after - before <= 500 and later - before <= 100, figures


def test_results_kept_by_sessions_are_bounded_in_bytes() -> None:
    """The least recently used results go first once the total is over the bound; a session's key that
    was dropped finds nothing (and the tab says so), a key it never had finds nothing either."""
    kept = SessionResults(max_bytes=1000)
    a, b = kept.keep("a", 400), kept.keep("b", 400)
    assert kept.get(a) == "a"  # a is now the most recently used
    c = kept.keep("c", 400)  # over the bound: b, the least recently used, goes
    assert (kept.get(a), kept.get(b), kept.get(c), kept.nbytes) == ("a", None, "c", 800)
    kept.drop(a)
    assert kept.get(a) is None and kept.nbytes == 400
    assert kept.get("guessed") is None and kept.get(None) is None and kept.get(5) is None
    huge = kept.keep("huge", 5000)  # alone over the bound: kept (the newest result is always kept)
    assert kept.get(huge) == "huge" and kept.get(c) is None


def test_a_dropped_video_result_is_said_plainly(tmp_path: Path) -> None:
    outputs, uploads = OutputFolders(tmp_path), UploadFolders.of(STREET.parent)
    pose_app = PoseApp(LoadedModels(MODEL_DIR), outputs, RuleSet.load("default"), uploads=uploads)
    tab = VideoTab(pose_app)
    first = tab.predict_video({"path": str(STREET)})[2]
    run: VideoAnalysis = pose_app.results.get(first)
    assert run_bytes(run.run) > 0 and pose_app.results.nbytes == run_bytes(run.run)
    pose_app.results.max_bytes = run_bytes(run.run)  # room for one run: the next one pushes this out
    second = tab.predict_video({"path": str(STREET)})[2]
    assert pose_app.results.get(first) is None and pose_app.results.get(second) is not None
    dropped = "This video's result is no longer kept (the server keeps 0 MB of results for all users"
    for handler in (lambda: tab.video_details(first), lambda: tab.angle_plot(first, None, [])):
        with pytest.raises(gr.Error) as refused:
            handler()
        assert refused.value.message.startswith(dropped)
    assert tab.video_details(None)[:2] == ("", None) and tab.angle_plot(None, None, []) is None
