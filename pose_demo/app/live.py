"""The live webcam: camera frames over a WebSocket as JPEG, annotated frames back the same way; and the
webcam sessions, which Gradio's stream (the Webcam tab's fallback) uses too.

Gradio's own stream (``WebcamTab.webcam_frame``) sends a frame only once the last result is back, through
its queue, and the result as a file the page then downloads: about 10 frames/s on a 2-vCPU machine for
30 ms of analysis. Here the page (``live.js``) sends each camera frame as it comes, with up to
``MAX_IN_FLIGHT`` waiting for their results, and the server analyses the newest one it has: frames that
come while one is analysed replace each other (dropped, never queued), so the delay cannot grow.

A session starts with a Gradio event (``start``: the settings are checked and a one-time ticket made);
the page then opens ``/live-webcam/{ticket}``. The table and figures come through a Gradio timer
(``words``). Where the WebSocket cannot connect, or the server has ``MAX_SESSIONS`` already, the page
falls back to Gradio's stream. A session ends when its page closes the socket (tab closed, stopped), at
``WEBCAM_TIME_LIMIT_S``, or on a bad frame; its ticket, tracks and history are dropped then.

Either way a session's frames go through a ``LiveSession`` (``webcam_session``: its own stream, made anew
when a setting of the analysis changes), and its user sees the same figures (``live_figures``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import secrets
import struct
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import gradio as gr
import numpy as np
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect
from uvicorn.protocols.utils import ClientDisconnected

from pose_demo.analysis import AnalysisOptions
from pose_demo.app.core import PoseApp, user_errors
from pose_demo.app.language import language
from pose_demo.app.views import verdict_table
from pose_demo.i18n import LANGUAGES, Message, UserError, plural, translate
from pose_demo.image_input import decode_image
from pose_demo.models.budget import AUTO_KEYPOINTS, LiveBudget
from pose_demo.predictor import UniModel
from pose_demo.results import FrameResult
from pose_demo.stream import PoseStream
from pose_demo.timing import RateMeter
from pose_demo.video import VideoRun
from pose_demo.video.io import encode_jpegs, even_size, exact_rate, probe
from pose_demo.video.pipeline import FrameRecord

log = logging.getLogger(__name__)

PATH = "live-webcam"  # the socket's path: /live-webcam/{ticket}
MAX_SESSIONS = 4  # live sessions at once; more fall back to Gradio's stream (its own queue)
MAX_IN_FLIGHT = 2  # frames the page sends before it has their results (live.js)
TICKET_TTL_S = 30.0  # a ticket not used within this is dropped, and refused at connect
MAX_IDLE_S = 10.0  # a socket that sends no camera frame for this long is closed and its slot freed
MAX_FRAME_BYTES = 2_000_000  # a camera frame as JPEG
MAX_FRAME_PIXELS = 1920 * 1080
MAX_TEXT_BYTES = 1000  # the page's figures message
JPEG_QUALITY = 80
HEADER = struct.Struct("<I")  # each frame's number, before its JPEG, both ways
SCRIPT = Path(__file__).with_name("live.js")
# The webcam's table and figures are sent at most this often; the picture goes with every frame. A table
# changing 15 times a second cannot be read, and each update costs the browser (the page's translation
# walks every cell): on a 2-vCPU machine sending them with every frame cost about 1 frame/s of 8.
WEBCAM_WORDS_EVERY_S = 0.5
# A webcam frame's models run on one thread: two threads per inference took 38 ms of CPU per 640x480
# frame against 25 ms on one (OpenVINO's workers spin while they wait) for 2 ms less wall time, and the
# other sessions (and, on a laptop, the browser) need those cores.
WEBCAM_THREADS = 1


SessionKey = tuple[tuple[str, str], AnalysisOptions]  # the models and analysis options of a stream


@dataclass
class Recording:
    """A webcam session as it went, to be kept ("Download this session"): its camera frames as they came,
    one JPEG after the other in one file (nothing is encoded while live), and each frame's time (from the
    first) and persons; ``key``: the models and options of its latest stream (the keypoint model that runs,
    not ``auto``). Thread-safe."""

    folder: Path
    key: SessionKey
    size: tuple[int, int] | None = None  # (width, height) of the first frame
    frames: list[FrameRecord] = field(default_factory=list)
    started: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def path(self) -> Path:
        return self.folder / "camera.mjpeg"

    def add(self, jpeg: bytes, size: tuple[int, int], arrival: float, result: FrameResult) -> None:
        with self.lock:
            if self.started is None:
                self.started, self.size = arrival, size
            with self.path.open("ab") as file:
                file.write(jpeg)
            self.frames.append(FrameRecord(len(self.frames), arrival - self.started, result.persons))

    def to_run(self, folder: Path) -> VideoRun:
        """The session so far as a video run: its frames encoded to ``folder/webcam.mp4`` (H.264, at the
        session's mean frame rate) and their persons, with repetitions counted when an exercise was asked
        for. Raises UserError when no frame was recorded yet."""
        with self.lock:
            frames = list(self.frames)
        if len(frames) < 2 or self.size is None:
            raise UserError("ui.webcam.error.nothing_recorded")
        rate = exact_rate((len(frames) - 1) / max(frames[-1].time, 1e-3))
        video = encode_jpegs(self.path, folder / "webcam.mp4", even_size(*self.size), rate, len(frames))
        info = probe(video)
        run = VideoRun(info, (info.width, info.height), rate, 1, frames, video, frames_expected=len(frames))
        run.count_reps(self.key[1])  # on the whole session, as a video's are
        return run


@dataclass
class LiveSession:
    """A webcam session: its own stream (tracker, smoothers, rule debounce), the settings that made it, and
    what it saw (``recording``). With the keypoint model ``auto``, ``budget`` chooses it on the session's
    first frames, and the stream runs the one chosen from then on."""

    key: SessionKey
    stream: PoseStream
    recording: Recording
    load: Callable[[str], UniModel]  # a keypoint model by name, with the session's detector
    budget: LiveBudget | None = None  # with the keypoint model ``auto``
    meter: RateMeter = field(default_factory=RateMeter)  # frames/s and work per frame, shown live
    words_at: float = -math.inf  # when the table and figures were last sent (on ``PoseApp.clock``)

    def process(
        self, image_bgr: np.ndarray, arrival: float, jpeg: bytes | None = None
    ) -> tuple[np.ndarray, FrameResult]:
        """One frame through the stream: the annotated frame and its result; the work is metered, and the
        frame (``jpeg``, the camera's own, or encoded here) recorded with its result."""
        started = time.perf_counter()
        annotated, result = self.stream.process(image_bgr, arrival)
        work_ms = (time.perf_counter() - started) * 1000
        self.meter.add(arrival, work_ms)
        if self.budget is not None and self.budget.add(arrival, work_ms):
            self.stream.model = self.load(self.budget.keypoints)
            self.recording.key = (self.stream.model.names, self.key[1])
        if jpeg is None:
            jpeg = np.asarray(cv2.imencode(".jpg", image_bgr, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])[1])
        self.recording.add(bytes(jpeg), (image_bgr.shape[1], image_bgr.shape[0]), arrival, result)
        return annotated, result

    def words_due(self, now: float) -> bool:
        """Whether the table and figures are to be sent again (see ``WEBCAM_WORDS_EVERY_S``)."""
        if now - self.words_at < WEBCAM_WORDS_EVERY_S:
            return False
        self.words_at = now
        return True


def webcam_session(
    app: PoseApp, session: LiveSession | None, lang: str, *, rule_file: str | None = None, **settings: Any
) -> LiveSession:
    """The webcam session for these settings: ``session`` itself, or a new one (new tracks) when a
    setting of the analysis changed; the drawing options apply at once. Raises UserError."""
    s = app.settings(rule_file=rule_file, lang=lang, **settings)
    key = (s.models, s.analysis_options(app.catalog))
    if session is None or session.key != key:  # what it recorded goes on in the new one
        budget = None
        if s.keypoint_model == AUTO_KEYPOINTS:  # chosen once for the session, whatever else changes
            budget = session.budget if session is not None and session.key[0] == key[0] else LiveBudget()
        load = app.models.loader(s.detector, WEBCAM_THREADS)
        model = load(s.keypoint_model if budget is None else budget.keypoints)
        ran = (model.names, key[1])  # for the session's report: the models that ran
        recording = Recording(app.outputs.new(), ran) if session is None else session.recording
        recording.key = ran
        # Frames are stamped as they arrive here, so none is late by its stamp: the live channel keeps only
        # the newest frame waiting (and Gradio's stream its queue); a latency rule on another clock than the
        # stamps' would drop frames by the machine's load.
        stream = PoseStream(model, key[1], max_latency_s=None)
        session = LiveSession(key, stream, recording, load, budget)
    session.stream.draw_options = s.draw_options(lang)
    return session


def live_figures(
    session: LiveSession,
    language: str = "en",
    shown_fps: float = 0.0,
    latency_ms: float = math.nan,
    dropped: int = 0,
) -> str:
    """The webcam's live figures, as its user sees them under the result: the server's (the session's
    ``meter``), with what the page measured once it has (the live channel: frames/s shown, median latency,
    dropped); then, once its budget chose it, which keypoint model runs and why."""
    meter = session.meter
    if shown_fps > 0 and math.isfinite(latency_ms):
        figures = translate(
            "ui.webcam.live_figures",
            language,
            fps=f"{shown_fps:.1f}",
            latency=f"{latency_ms:.0f}",
            dropped=plural("ui.count.camera_frame", dropped, language),
            work=f"{meter.work_ms:.0f}",
        )
    elif meter.fps == 0:
        return translate("ui.webcam.starting", language)
    else:
        figures = translate(
            "ui.webcam.figures", language, fps=f"{meter.fps:.1f}", work=f"{meter.work_ms:.0f}"
        )
    chosen = session.budget.choice if session.budget is not None else None
    return figures if chosen is None else f"{figures}\n\n{chosen.message(language)}"


@dataclass
class ClientFigures:
    """What the page measures and reports every second: frames shown per second, median latency from
    the camera to the screen (ms), and camera frames it did not send (too many in flight)."""

    shown_fps: float = 0.0
    latency_ms: float = math.nan
    skipped: int = 0

    @classmethod
    def parse(cls, text: str) -> ClientFigures:
        """The page's JSON message; UserError for anything else."""
        try:
            data = json.loads(text)
            values = (float(data["fps"]), float(data["latency_ms"]), int(data["skipped"]))
        except (ValueError, TypeError, KeyError) as e:
            raise UserError("error.live.message") from e
        if not all(math.isfinite(v) and 0 <= v < 1e9 for v in values):
            raise UserError("error.live.message")
        return cls(*values)


@dataclass
class Ticket:
    """One live session: its stream, what the page reports, and the latest result for the table."""

    session: LiveSession
    language: str
    created: float
    owner: str | None = None  # the browser session (Gradio's session hash) that started it
    replaced: bool = False  # its browser session started another one: this one ends
    lock: threading.Lock = field(default_factory=threading.Lock)  # the stream: frames vs settings
    connected: bool = False
    result: FrameResult | None = None
    dropped: int = 0  # frames replaced by a newer one before they were analysed
    client: ClientFigures = field(default_factory=ClientFigures)


class LiveWebcam:
    """The live sessions of one app: Gradio events (``start``, ``update``, ``words``, ``reset``) and the
    WebSocket (``routes``)."""

    def __init__(
        self,
        app: PoseApp,
        time_limit_s: float,
        max_sessions: int = MAX_SESSIONS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.time_limit_s = time_limit_s
        self.max_sessions = max_sessions
        self.clock = clock
        self.tickets: dict[str, Ticket] = {}
        self._lock = threading.Lock()
        self._workers = ThreadPoolExecutor(max_sessions, thread_name_prefix="live-webcam")

    def routes(self) -> list[WebSocketRoute]:
        return [WebSocketRoute(f"/{PATH}/{{ticket}}", self.serve)]

    # ------------------------------------------------------------------ Gradio events

    def start(
        self, request: gr.Request | None = None, *, rule_file: str | None = None, **settings: Any
    ) -> tuple[str, gr.Timer]:
        """The start button: a ticket for a new live session with these settings and the table's timer
        started, or "" when the server has ``max_sessions`` live already (the page then uses Gradio's
        stream, which sends its own table). One live session per browser session: a new start ends the
        one it had."""
        lang = language(request)
        with user_errors("webcam", lang):
            session = webcam_session(self.app, None, lang, rule_file=rule_file, **settings)
        now = self.clock()
        owner = request.session_hash if request is not None else None
        with self._lock:
            expired = now - TICKET_TTL_S
            for key in [k for k, t in self.tickets.items() if not t.connected and t.created < expired]:
                del self.tickets[key]
            for key in [k for k, t in self.tickets.items() if owner is not None and t.owner == owner]:
                self.tickets.pop(key).replaced = True
            if len(self.tickets) >= self.max_sessions:
                log.info("Live webcam: %d sessions already, this one uses Gradio's stream", len(self.tickets))
                return "", gr.Timer(active=False)
            ticket = secrets.token_urlsafe(24)
            self.tickets[ticket] = Ticket(session, lang, now, owner)
        return ticket, gr.Timer(active=True)

    def recording(self, ticket: str) -> Any:
        """The recording of the live session just started (kept by the page's session after it ends, for
        "Download this session"); nothing without one."""
        live = self.tickets.get(ticket)
        return gr.skip() if live is None else live.session.recording

    def update(
        self, ticket: str, request: gr.Request | None = None, *, rule_file: str | None = None, **settings: Any
    ) -> None:
        """A setting changed: a live session follows it (new tracks when the analysis changed)."""
        live = self.tickets.get(ticket)
        if live is None:
            return
        lang = language(request)
        with user_errors("webcam", lang), live.lock:
            live.session = webcam_session(self.app, live.session, lang, rule_file=rule_file, **settings)
            live.language = lang

    def words(self, ticket: str, request: gr.Request | None = None) -> tuple[Any, Any, Any]:
        """The timer: the verdict table of the latest frame and the live figures; the timer stops once
        the session has ended."""
        live = self.tickets.get(ticket)
        if live is None:
            return gr.skip(), gr.skip(), gr.Timer(active=False)
        if live.result is None:
            return gr.skip(), gr.skip(), gr.skip()
        lang = language(request)
        c = live.client
        figures = live_figures(live.session, lang, c.shown_fps, c.latency_ms, c.skipped + live.dropped)
        return verdict_table(live.result, lang), figures, gr.skip()

    def reset(self, ticket: str, session: LiveSession | None, request: gr.Request | None = None) -> None:
        """The reset button: the repetition counts of the live session, or else of Gradio's stream's
        ``session``, start again from zero at its next frame.

        The session is changed in place (Gradio hands the stored object over), not returned: a frame being
        processed at the same time writes the same session back.
        """
        live = self.tickets.get(ticket)
        if live is not None:
            session = live.session
        if session is None or session.stream.reps is None:
            gr.Info(translate("ui.info.nothing_to_reset", language(request)))
            return
        session.stream.reps.reset()

    # ------------------------------------------------------------------ the socket

    async def serve(self, websocket: WebSocket) -> None:
        """One live session: frames in, annotated frames out, until the page goes or the time is up."""
        ticket = websocket.path_params["ticket"]
        with self._lock:
            live = self.tickets.get(ticket)
            if live is not None and not live.connected and self.clock() - live.created <= TICKET_TTL_S:
                live.connected = True
            else:
                live = None
        if live is None:  # unknown, expired or already used: refused before the handshake
            await websocket.close(code=1008)
            return
        await websocket.accept()
        log.info("Live webcam session started")
        try:
            await asyncio.wait_for(self._exchange(websocket, live), self.time_limit_s)
        except TimeoutError:
            minutes = round(self.time_limit_s / 60)
            await self._end(websocket, live, translate("ui.webcam.time_up", live.language, minutes=minutes))
        except UserError as e:
            log.info("Live webcam: %s", e)
            await self._end(websocket, live, e.text(live.language))
        except (WebSocketDisconnect, ClientDisconnected):  # the page went
            pass
        except Exception:
            log.exception("Live webcam failed")
            text = translate("ui.error.unexpected", live.language, task=Message("ui.task.webcam"))
            await self._end(websocket, live, text)
        finally:
            with self._lock:
                if self.tickets.get(ticket) is live:
                    del self.tickets[ticket]
            log.info("Webcam session ended: its tracks and rule history are dropped")

    async def _exchange(self, websocket: WebSocket, live: Ticket) -> None:
        """Receives into a one-frame slot (a newer frame replaces a waiting one) while the newest is
        analysed in a worker thread and sent back."""
        slot: list[bytes] = []
        ready = asyncio.Event()
        gone = asyncio.Event()

        async def receive() -> None:
            try:
                while True:
                    message = await websocket.receive()
                    if message["type"] == "websocket.disconnect":
                        break
                    if message.get("bytes") is not None:
                        data = message["bytes"]
                        if not HEADER.size < len(data) <= MAX_FRAME_BYTES:
                            raise UserError("error.live.frame")
                        if slot:
                            live.dropped += 1
                        slot[:] = [data]
                        ready.set()
                    elif message.get("text") is not None:
                        if len(message["text"]) > MAX_TEXT_BYTES:
                            raise UserError("error.live.message")
                        live.client = ClientFigures.parse(message["text"])
            finally:
                gone.set()
                ready.set()

        receiver = asyncio.create_task(receive())
        loop = asyncio.get_running_loop()
        try:
            while True:
                try:
                    await asyncio.wait_for(ready.wait(), MAX_IDLE_S)
                except TimeoutError:
                    raise UserError("error.live.idle", seconds=MAX_IDLE_S) from None
                ready.clear()
                if live.replaced:
                    raise UserError("error.live.replaced")
                if gone.is_set():
                    break
                data = slot.pop()
                reply = await loop.run_in_executor(self._workers, self._analyse, live, data)
                await websocket.send_bytes(reply)
        finally:
            receiver.cancel()
            if receiver.done() and not receiver.cancelled() and receiver.exception() is not None:
                raise receiver.exception()  # type: ignore[misc]

    def _analyse(self, live: Ticket, data: bytes) -> bytes:
        """One frame (its number, then JPEG) analysed and drawn: its number, then the annotated JPEG."""
        (number,) = HEADER.unpack_from(data)
        image = decode_image(data[HEADER.size :], MAX_FRAME_PIXELS)
        with live.lock:
            annotated, live.result = live.session.process(image, self.clock(), data[HEADER.size :])
        ok, jpeg = cv2.imencode(".jpg", annotated, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        if not ok:
            raise UserError("error.live.frame")
        return HEADER.pack(number) + np.asarray(jpeg).tobytes()

    async def _end(self, websocket: WebSocket, live: Ticket, text: str) -> None:
        """Tells the page why its session ends, then closes."""
        try:
            await websocket.send_text(json.dumps({"end": text}, ensure_ascii=False))
            await websocket.close(code=1000)
        except (WebSocketDisconnect, RuntimeError):  # the page went first
            pass

    def script(self) -> str:
        """The page's side (for ``gr.HTML(js_on_load=...)``), with its settings filled in: Gradio's webcam
        prompt, which its page writes in English whatever the language, in each language of the app."""
        prompts = {language: translate("ui.webcam.access", language) for language in LANGUAGES}
        return (
            SCRIPT.read_text(encoding="utf-8")
            .replace("__MAX_IN_FLIGHT__", str(MAX_IN_FLIGHT))
            .replace("__WEBCAM_PROMPTS__", json.dumps(prompts, ensure_ascii=False))
        )
