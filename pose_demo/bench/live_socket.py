"""``bench-webcam --client socket``: the live webcam's server side measured without a browser.

A client on loopback does what the page does (``app/live.js``): it sends a clip's frames at the camera's
rate, each as its number and a JPEG at the page's quality, while fewer than ``MAX_IN_FLIGHT`` await their
results (the others are skipped), takes a result as answering every frame up to its number, and reports its
figures every second. The app's live webcam runs in this process on the runtime and device asked (its
socket served by uvicorn, as in the app), so the figures are the server's whole path (JPEG decoding,
models, tracking, rules, drawing, JPEG encoding, the socket) without the camera's and the screen's delays:
where no browser runs (a lent GPU machine) this is the webcam's figure.
"""

from __future__ import annotations

import json
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from itertools import islice
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import uvicorn
from starlette.applications import Starlette
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from pose_demo.app.core import PoseApp
from pose_demo.app.live import HEADER, MAX_IN_FLIGHT, LiveSession, LiveWebcam, live_figures
from pose_demo.app.loaded_models import LoadedModels
from pose_demo.app.outputs import OutputFolders
from pose_demo.bench.served import free_port
from pose_demo.bench.webcam import LiveFigures, camera_frames
from pose_demo.models.runtime import RuntimeOptions
from pose_demo.rules import RuleSet

PAGE_JPEG_QUALITY = 80  # live.js: canvas.toBlob(..., 'image/jpeg', 0.8)
STARTUP_TIMEOUT_S = 30.0
REPORT_EVERY_S = 1.0  # the page's figures message (live.js REPORT_MS)


@contextmanager
def serving(live: LiveWebcam) -> Iterator[str]:
    """``live``'s socket served by uvicorn on a free loopback port; yields the URL tickets are added to."""
    app = Starlette(routes=live.routes())
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    if not server.started:
        raise RuntimeError("the live webcam's socket did not start")
    try:
        yield f"ws://127.0.0.1:{server.config.port}/live-webcam/"
    finally:
        server.should_exit = True
        thread.join(STARTUP_TIMEOUT_S)


def camera_jpegs(source: Path, size: tuple[int, int], fps: int, count: int) -> list[bytes]:
    """``count`` camera frames of ``source`` (scaled and padded to ``size`` at ``fps``, looped), each a
    JPEG at the page's quality."""
    width, height = size
    jpegs = []
    for raw in islice(camera_frames(source, width, height, fps), count):
        rgb = np.frombuffer(raw, np.uint8).reshape(height, width, 3)
        ok, jpeg = cv2.imencode(".jpg", rgb[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, PAGE_JPEG_QUALITY])
        if not ok:
            raise RuntimeError("OpenCV could not encode a camera frame")
        jpegs.append(jpeg.tobytes())
    return jpegs


class _Page:
    """The page's bookkeeping: frames sent and awaiting a result (number -> time sent), results taken."""

    def __init__(self) -> None:
        self.sent: dict[int, float] = {}
        self.results: list[tuple[float, float]] = []  # (time received, latency in ms)
        self.lock = threading.Lock()

    def busy(self) -> bool:
        with self.lock:
            return len(self.sent) >= MAX_IN_FLIGHT

    def send(self, number: int) -> None:
        with self.lock:
            self.sent[number] = time.perf_counter()

    def take(self, data: bytes) -> None:
        """A result: it answers its frame, and the older ones still awaited were dropped by the server."""
        now = time.perf_counter()
        (number,) = HEADER.unpack_from(data)
        with self.lock:
            taken = self.sent.get(number)
            for k in [k for k in self.sent if k <= number]:
                del self.sent[k]
            if taken is not None:
                self.results.append((now, (now - taken) * 1000))

    def report(self, since: float, skipped: int) -> str:
        """The page's figures message over the last three seconds (live.js ``report``)."""
        now = time.perf_counter()
        with self.lock:
            recent = [(t, ms) for t, ms in self.results if t >= max(since, now - 3.0)]
        fps = (len(recent) - 1) / (now - recent[0][0]) if len(recent) > 1 else 0.0
        latency = float(np.median([ms for _, ms in recent])) if recent else 0.0
        return json.dumps({"fps": fps, "latency_ms": latency, "skipped": skipped})


def stream(url: str, jpegs: list[bytes], fps: int, warmup_s: float, seconds: float) -> LiveFigures:
    """One page's live session on the socket at ``url`` (with its ticket): the camera's frames sent as the
    page sends them for ``warmup_s + seconds``; the figures of the last ``seconds``."""
    page = _Page()
    frames = round((warmup_s + seconds) * fps)
    with connect(url, max_size=None) as ws:

        def receive() -> None:
            try:
                for data in ws:
                    if isinstance(data, bytes):
                        page.take(data)
            except ConnectionClosed:
                pass

        receiver = threading.Thread(target=receive, daemon=True)
        receiver.start()
        start = time.perf_counter()
        measured_from = start + warmup_s
        skipped, reported = 0, start
        for number in range(frames):
            time.sleep(max(start + number / fps - time.perf_counter(), 0.0))
            if page.busy():
                skipped += 1
                continue
            page.send(number)
            ws.send(HEADER.pack(number) + jpegs[number % len(jpegs)])
            if time.perf_counter() - reported >= REPORT_EVERY_S:
                ws.send(page.report(start, skipped))
                reported = time.perf_counter()
        end = time.perf_counter()
        ws.send(page.report(start, skipped))
    receiver.join(STARTUP_TIMEOUT_S)
    shown = [ms for t, ms in page.results if measured_from <= t <= end]
    return LiveFigures(end - measured_from, "socket", round(seconds * fps), len(shown), tuple(shown))


def bench_socket(
    video: Path,
    *,
    runs_on: RuntimeOptions,
    size: tuple[int, int] = (640, 480),
    fps: int = 15,
    sessions: int = 1,
    warmup_s: float = 5.0,
    seconds: float = 30.0,
    settings: dict[str, Any] | None = None,
) -> list[LiveFigures]:
    """``sessions`` pages streaming ``video`` at once to the app's live webcam (its models from
    ``$POSE_DEMO_MODEL_DIR`` or the download folder, on ``runs_on``; the app's default settings and
    ``settings``); each one's figures, with the app's own figures line."""
    jpegs = camera_jpegs(video, size, fps, round((warmup_s + seconds) * fps))
    with tempfile.TemporaryDirectory() as tmp:
        app = PoseApp(LoadedModels(runs_on=runs_on), OutputFolders(Path(tmp)), RuleSet.load("default"))
        live = LiveWebcam(app, time_limit_s=warmup_s + seconds + 60, max_sessions=sessions)
        tickets = [live.start(**(settings or {}))[0] for _ in range(sessions)]
        live_sessions: list[LiveSession] = [live.tickets[t].session for t in tickets]
        with serving(live) as url:
            results: list[LiveFigures | None] = [None] * sessions

            def run(k: int) -> None:
                results[k] = stream(url + tickets[k], jpegs, fps, warmup_s, seconds)

            threads = [threading.Thread(target=run, args=(k,)) for k in range(sessions)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    figures = []
    for result, session in zip(results, live_sessions, strict=True):
        if result is None:
            raise RuntimeError("a session's client failed: see the error above")
        line = live_figures(session, "en", result.fps, result.percentile(50), result.dropped)
        figures.append(replace(result, app_figures=line))
    return figures
