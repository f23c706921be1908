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

import gradio as gr
import pytest
from gradio_client import Client, handle_file

from pose_demo import load_image
from pose_demo.app.core import PoseApp
from pose_demo.app.layout import build_demo
from pose_demo.app.loaded_models import LoadedModels
from pose_demo.app.outputs import OutputFolders
from pose_demo.app.webcam_tab import WEBCAM_STATE_TTL_S, WEBCAM_TIME_LIMIT_S, WebcamTab, bgr_to_rgb
from pose_demo.rules import RuleSet
from tests.conftest import IMAGES, MODEL_DIR
from tests.test_app import PLAYERS, WALKERS, running_app

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
