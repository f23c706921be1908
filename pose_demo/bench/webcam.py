"""``bench-webcam``: what a webcam user gets, measured in a real browser: annotated frames shown per
second and glass-to-glass latency.

A fake camera (a ``.y4m`` file Chromium plays as its webcam, ``--use-file-for-fake-video-capture``)
carries each frame's index as a binary code in its top-left corner: a row of black/white blocks and,
under it, the same row inverted (a frame whose two rows disagree is not read). JavaScript in the page
reads the code of every camera frame as the ``<video>`` of ``#webcam-input`` presents it, and of every
annotated frame as ``#webcam-output`` displays it; latency is the time between the two for the same
index. The skeleton and labels are drawn around people, never in the corner (the clips keep it empty).

Needs Playwright and Chromium (``requirements-dev.txt``; Debian's ``chromium``).
"""

from __future__ import annotations

import itertools
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import cv2
import imageio_ffmpeg
import numpy as np

from pose_demo.compare import is_photo
from pose_demo.exercises.schema import load_catalog
from pose_demo.image_input import load_image
from pose_demo.video.io import ffmpeg_exe

CODE_BITS = 12  # frame indices 0..4095: a 15 fps camera file of up to 4.5 minutes
BLOCK = 12  # pixels per code block (survives JPEG both ways)
MAX_LATENCY_MS = 5000.0  # longer is a missed camera frame (camera files loop every 12 s or more)
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [  # headless, quiet, no network of its own
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
FAKE_CAMERA_ARGS = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]


def paint_code(frame: np.ndarray, index: int) -> None:
    """Write ``index`` into the top-left corner of an RGB frame: bits (most significant first) as blocks,
    white for 1, and the inverted row under them."""
    for bit in range(CODE_BITS):
        on = (index >> (CODE_BITS - 1 - bit)) & 1
        x = slice(bit * BLOCK, (bit + 1) * BLOCK)
        frame[:BLOCK, x] = 255 * on
        frame[BLOCK : 2 * BLOCK, x] = 255 * (1 - on)


def read_code(frame: np.ndarray) -> int | None:
    """The index painted by ``paint_code`` (RGB or gray frame), or None where the rows disagree."""
    gray = frame.mean(axis=2) if frame.ndim == 3 else frame
    centre = BLOCK // 2
    xs = np.arange(CODE_BITS) * BLOCK + centre
    top = gray[centre, xs] > 127
    bottom = gray[BLOCK + centre, xs] > 127
    if np.any(top == bottom):
        return None
    return int(np.dot(top.astype(int), 1 << np.arange(CODE_BITS - 1, -1, -1)))


def coded_camera(
    source: Path, out: Path, *, size: tuple[int, int] = (640, 480), fps: int = 15, seconds: float = 20.0
) -> Path:
    """A ``.y4m`` camera file from ``source`` (scaled and padded to ``size``, at ``fps``), each frame
    carrying its index."""
    width, height = size
    frames = int(seconds * fps)
    if frames > 1 << CODE_BITS:
        raise ValueError(f"at most {1 << CODE_BITS} frames: shorten the camera file")
    encoder = subprocess.Popen(
        [
            *(ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y"),
            *("-f", "rawvideo", "-pix_fmt", "rgb24"),
            *("-s", f"{width}x{height}", "-r", str(fps), "-i", "-", "-pix_fmt", "yuv420p", str(out)),
        ],
        stdin=subprocess.PIPE,
    )
    assert encoder.stdin is not None
    try:
        for index, raw in zip(range(frames), camera_frames(source, width, height, fps), strict=False):
            frame = np.frombuffer(raw, np.uint8).reshape(height, width, 3).copy()
            paint_code(frame, index)
            encoder.stdin.write(frame.tobytes())
    finally:
        encoder.stdin.close()
        encoder.wait(timeout=60)
    if encoder.returncode:
        raise RuntimeError("ffmpeg could not write the camera file")
    return out


def camera_frames(source: Path, width: int, height: int, fps: int) -> Iterator[bytes]:
    """The source's RGB frames scaled and padded to width x height at fps, looped for as long as wanted;
    a photo (by its suffix) is held still."""
    if is_photo(source):
        image = load_image(source)
        scale = min(width / image.shape[1], height / image.shape[0])
        shown = cv2.resize(image, (round(image.shape[1] * scale), round(image.shape[0] * scale)))
        frame = np.zeros((height, width, 3), np.uint8)
        top, left = (height - shown.shape[0]) // 2, (width - shown.shape[1]) // 2
        frame[top : top + shown.shape[0], left : left + shown.shape[1]] = shown[..., ::-1]
        yield from itertools.repeat(frame.tobytes())
        return
    scale = (
        f"fps={fps},scale={width}:{height}:force_original_aspect_ratio=decrease,"
        f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2"
    )
    while True:
        reader = imageio_ffmpeg.read_frames(str(source), output_params=["-vf", scale])
        next(reader)  # the metadata
        yield from reader


# Runs in the page: records (index, time) of every camera frame presented and every result displayed.
WATCH_JS = """
([bits, block]) => {
  const canvas = document.createElement('canvas');
  canvas.width = bits * block; canvas.height = 2 * block;
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  const read = (source) => {
    ctx.drawImage(source, 0, 0, canvas.width, canvas.height, 0, 0, canvas.width, canvas.height);
    const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    const lum = (x, y) => {
      const i = 4 * (y * canvas.width + x);
      return (data[i] + data[i + 1] + data[i + 2]) / 3;
    };
    let value = 0;
    for (let b = 0; b < bits; b++) {
      const x = b * block + (block >> 1);
      const top = lum(x, block >> 1) > 127, bottom = lum(x, block + (block >> 1)) > 127;
      if (top === bottom) return -1;
      value = value * 2 + (top ? 1 : 0);
    }
    return value;
  };
  const live = window.__live = {inputs: [], outputs: [], start: performance.now()};
  const watchVideo = () => {
    const video = document.querySelector('#webcam-input video');
    if (!video || !video.requestVideoFrameCallback) { setTimeout(watchVideo, 50); return; }
    const onFrame = (now) => {
      if (video.videoWidth) live.inputs.push([read(video), now]);
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  };
  watchVideo();
  let lastSrc = null;
  const watchOutput = (now) => {
    const img = document.querySelector('#webcam-output img');
    if (img && img.src !== lastSrc && img.complete && img.naturalWidth) {
      lastSrc = img.src;
      live.outputs.push([read(img), now]);
    }
    requestAnimationFrame(watchOutput);
  };
  requestAnimationFrame(watchOutput);
}
"""


# What the page recorded, and whether the live channel was the one shown (app/live.js).
CHANNEL_JS = """() => ({
  inputs: window.__live.inputs,
  outputs: window.__live.outputs,
  now: performance.now(),
  live: document.querySelector('#webcam-output')?.closest('#webcam-live') !== null,
})"""


@dataclass(frozen=True)
class LiveFigures:
    """What one browser session saw over the measured window."""

    seconds: float
    channel: str  # "live" (the app's WebSocket) or "stream" (Gradio's stream, its fallback)
    camera_frames: int  # camera frames presented in #webcam-input
    shown: int  # new annotated frames displayed in #webcam-output
    latencies_ms: tuple[float, ...]  # per shown frame: displayed minus presented by the camera
    app_figures: str = ""  # the app's own figures line at the end (with the keypoint model ``auto`` chose)

    @property
    def fps(self) -> float:
        return self.shown / self.seconds

    @property
    def dropped(self) -> int:
        return max(self.camera_frames - self.shown, 0)

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.latencies_ms, q)) if self.latencies_ms else float("nan")

    def to_dict(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "seconds": round(self.seconds, 2),
            "fps": round(self.fps, 2),
            "camera_frames": self.camera_frames,
            "shown": self.shown,
            "dropped": self.dropped,
            "latency_ms": {
                "median": round(self.percentile(50), 1),
                "p95": round(self.percentile(95), 1),
                "max": round(max(self.latencies_ms, default=float("nan")), 1),
            },
            "app_figures": self.app_figures,
        }


def figures(
    inputs: list[list[float]], outputs: list[list[float]], start: float, end: float, channel: str = "live"
) -> LiveFigures:
    """Frames/s and latency over [start, end] (page milliseconds) from the recorded (index, time) pairs:
    each displayed result is matched with the latest presentation of the same camera frame before it."""
    presented: dict[int, list[float]] = {}
    for index, t in inputs:
        presented.setdefault(int(index), []).append(t)
    camera = sum(1 for index, t in inputs if start <= t <= end and index >= 0)
    latencies, shown, previous = [], 0, None
    for index, t in outputs:
        index = int(index)
        if not start <= t <= end or index < 0 or index == previous:
            continue
        previous = index
        # A camera frame the page missed would match the same index a loop earlier: not a latency.
        before = [p for p in presented.get(index, ()) if t - MAX_LATENCY_MS <= p <= t]
        if before:
            shown += 1
            latencies.append(t - max(before))
    return LiveFigures((end - start) / 1000, channel, camera, shown, tuple(latencies))


def start_webcam(page: Any, url: str, exercise: str | None = None) -> None:
    """Open the app's Webcam tab in ``page`` and start streaming (the ``#webcam-start`` control: the live
    channel, or Gradio's stream where it cannot connect)."""
    page.goto(url)
    page.get_by_role("tab", name="Webcam").click()
    if exercise is not None:
        title = next((e.title["en"] for e in load_catalog().exercises if e.id == exercise), None)
        if title is None:
            raise ValueError(f"no exercise {exercise!r} in the built-in catalog")
        page.locator("#webcam-exercise input").click()
        page.get_by_role("option", name=title, exact=True).click()
    page.locator("#webcam-start").click()
    page.locator("#webcam-output img").wait_for()


@contextmanager
def camera_browser(camera: Path) -> Iterator[Any]:
    """A headless Chromium whose webcam plays ``camera`` (a ``.y4m`` file); closed on leaving."""
    from playwright.sync_api import sync_playwright  # a test/benchmark dependency, not the app's

    if not CHROMIUM.exists():
        raise FileNotFoundError(f"{CHROMIUM} is missing: apt-get install chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[*CHROMIUM_ARGS, *FAKE_CAMERA_ARGS, f"--use-file-for-fake-video-capture={camera}"],
        )
        try:
            yield browser
        finally:
            browser.close()


def measure(
    url: str,
    camera: Path,
    *,
    sessions: int = 1,
    warmup_s: float = 5.0,
    seconds: float = 30.0,
    exercise: str | None = None,
) -> list[LiveFigures]:
    """Open ``sessions`` browser tabs on the Webcam tab fed by ``camera``, let them warm up, then
    measure each over ``seconds``."""
    with camera_browser(camera) as browser:
        pages = []
        for _ in range(sessions):
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.set_default_timeout(120_000)
            start_webcam(page, url, exercise)
            page.evaluate(WATCH_JS, [CODE_BITS, BLOCK])
            pages.append(page)
        pages[0].wait_for_timeout(warmup_s * 1000)
        starts = [page.evaluate("performance.now()") for page in pages]
        pages[0].wait_for_timeout(seconds * 1000)
        results = []
        for page, start in zip(pages, starts, strict=True):
            live = page.evaluate(CHANNEL_JS)
            channel = "live" if live["live"] else "stream"
            seen = figures(live["inputs"], live["outputs"], start, live["now"], channel)
            results.append(replace(seen, app_figures=page.locator("#webcam-figures").inner_text().strip()))
        return results
