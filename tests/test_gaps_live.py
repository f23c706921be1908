"""The live webcam's promises that the user cannot check and ``tests/test_live.py`` does not pin (issue 30,
mutation testing of ``pose_demo/app/live.py``), each with exact values: the figures under the result
(frames/s from the arrival times, the page's own figures, the frames dropped, in the page's language),
the table every half second on Gradio's stream, the page's figures message read field by field with its
bounds, the frame's number and its JPEG, the recording of the camera's own bytes at their arrival times,
and the tickets (unused ones live exactly ``TICKET_TTL_S``, connected ones as long as their socket, one
live session per page, the page's language, a full server said in the log). Then the socket's own
promises: its log lines, its reason for ending (the time limit, a bug) in the page's language and a normal
close, the size limits of a frame and of a figures message met exactly, the live workers' threads; and the
Gradio events beside it (a setting changed, the reset button, the page's script) and the session kept (its
recording as a video at the session's rate, its models on one thread, no frame judged late by another
clock than its stamp).

Everything runs for real: the models, the socket served by uvicorn on loopback, a WebSocket client. The
arrival times come from a clock the test sets, so that frames/s and ticket ages are exact. One test puts a
fault in the analysis (``FailingWebcam``): no input reaches the socket's branch for a bug.
"""

from __future__ import annotations

import errno
import json
import logging
import re
import threading
import time
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import cv2
import gradio as gr
import numpy as np
import pandas as pd
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from pose_demo.app.core import PoseApp
from pose_demo.app.live import (
    HEADER,
    JPEG_QUALITY,
    MAX_FRAME_BYTES,
    MAX_FRAME_PIXELS,
    MAX_IN_FLIGHT,
    MAX_TEXT_BYTES,
    SCRIPT,
    TICKET_TTL_S,
    WEBCAM_THREADS,
    ClientFigures,
    LiveWebcam,
    Recording,
    Ticket,
    webcam_session,
)
from pose_demo.app.loaded_models import LoadedModels
from pose_demo.app.outputs import OutputFolders
from pose_demo.app.uploads import UploadFolders
from pose_demo.app.views import verdict_table
from pose_demo.app.webcam_tab import WebcamTab
from pose_demo.i18n import LANGUAGES, Message, UserError, plural, translate
from pose_demo.image_input import load_image
from pose_demo.rules import RuleSet
from pose_demo.video.io import probe
from tests.conftest import DATA_DIR, MODEL_DIR
from tests.test_live import ONE_PERSON, TIMEOUT_S, ended, serving, wait_gone

ZH = gr.Request(headers={"accept-language": "zh-CN,zh;q=0.9"})
# The keypoint model named, so that the figures are the frames' alone (no model chosen on the way).
SETTINGS = {"keypoint_model": "tinypose_128x96"}
STEP_S = 0.125  # between two frames' arrivals: 8 frames/s, exact in binary
TICKET = re.compile(r"[A-Za-z0-9_-]{32}")  # 24 random bytes in URL-safe base64


class Clock:
    """The arrival clock of an app or a live webcam, set by the test."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def app_clock() -> Clock:
    return Clock(1000.0)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, app_clock: Clock) -> PoseApp:
    outputs = OutputFolders(tmp_path_factory.mktemp("outputs"))
    uploads = UploadFolders.of(DATA_DIR)
    return PoseApp(LoadedModels(MODEL_DIR), outputs, RuleSet.load("default"), app_clock, uploads)


@pytest.fixture
def clock() -> Clock:
    return Clock(5000.0)


@pytest.fixture
def served(app: PoseApp, clock: Clock) -> Iterator[tuple[LiveWebcam, str]]:
    """A live webcam of its own (no tickets yet) on ``clock``, served on loopback; its socket's URL."""
    live = LiveWebcam(app, time_limit_s=120, clock=clock)
    with serving(live) as url:
        yield live, url


def camera_jpeg(image: np.ndarray) -> bytes:
    ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])  # not the server's quality
    assert ok
    return jpeg.tobytes()


PHOTO = camera_jpeg(load_image(ONE_PERSON))


def exchange(ws: ClientConnection, number: int, jpeg: bytes = PHOTO) -> bytes:
    """One frame sent and its reply (number, then JPEG) received."""
    ws.send(HEADER.pack(number) + jpeg)
    data = ws.recv(timeout=TIMEOUT_S)
    assert isinstance(data, bytes), data
    return data


def quantization_tables(jpeg: bytes) -> list[bytes]:
    """The JPEG's DQT segments: they follow from its quality setting alone."""
    tables, at = [], 2
    while at + 4 <= len(jpeg) and jpeg[at] == 0xFF and jpeg[at + 1] != 0xDA:  # up to the scan
        length = int.from_bytes(jpeg[at + 2 : at + 4], "big")
        if jpeg[at + 1] == 0xDB:
            tables.append(jpeg[at + 4 : at + 2 + length])
        at += 2 + length
    assert tables, "no quantization table"
    return tables


# What a JPEG at the server's quality carries, whatever the picture.
SERVER_QUALITY = quantization_tables(
    cv2.imencode(".jpg", np.zeros((8, 8, 3), np.uint8), [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])[1].tobytes()
)


def work(live: LiveWebcam, ticket: str) -> str:
    """The server's median work per frame as the figures print it."""
    return f"{live.tickets[ticket].session.meter.work_ms:.0f}"


# ---------------------------------------------------------------- the page's figures message


def test_the_pages_figures_are_read_field_by_field() -> None:
    text = json.dumps({"fps": 14.2, "latency_ms": 118.5, "skipped": 3})
    assert ClientFigures.parse(text) == ClientFigures(14.2, 118.5, 3)
    assert ClientFigures.parse('{"fps": 0, "latency_ms": 0, "skipped": 0}') == ClientFigures(0.0, 0.0, 0)
    below = 999_999_999
    assert ClientFigures.parse(json.dumps({"fps": below, "latency_ms": below, "skipped": below})) == (
        ClientFigures(below, below, below)
    )
    assert ClientFigures.parse('{"fps": 1, "latency_ms": 2, "skipped": 3.9, "more": 1}').skipped == 3


@pytest.mark.parametrize(
    "text",
    [
        *(
            json.dumps({"fps": 1, "latency_ms": 1, "skipped": 1} | {key: value})
            for key in ("fps", "latency_ms", "skipped")
            for value in (-1, 1e9, 1e12)
        ),
        '{"fps": NaN, "latency_ms": 1, "skipped": 0}',
        '{"fps": 1, "latency_ms": Infinity, "skipped": 0}',
        '{"fps": 1, "latency_ms": -Infinity, "skipped": 0}',
        '{"fps": "fast", "latency_ms": 1, "skipped": 0}',
        '{"fps": 1, "latency_ms": null, "skipped": 0}',
        '{"fps": 1, "latency_ms": 1, "skipped": "x"}',
        '{"latency_ms": 1, "skipped": 0}',
        '{"fps": 1, "skipped": 0}',
        '{"fps": 1, "latency_ms": 1}',
        "[1, 2, 3]",
        "null",
        "14.2",
        "not json",
        "",
    ],
)
def test_anything_else_from_the_page_is_refused_in_its_words(text: str) -> None:
    with pytest.raises(UserError) as refused:
        ClientFigures.parse(text)
    assert refused.value.text("zh-CN") == translate("error.live.message", "zh-CN")
    assert str(refused.value) == translate("error.live.message", "en")


# ---------------------------------------------------------------- Gradio's stream: figures every half second


@pytest.mark.parametrize(("request_", "lang"), [(None, "en"), (ZH, "zh-CN")])
def test_the_stream_sends_the_table_and_figures_every_half_second(
    app: PoseApp, app_clock: Clock, request_: gr.Request | None, lang: str
) -> None:
    """Frames 0.125 s apart: the table and figures with the first frame ("starting": no rate from one
    frame), then none until exactly 0.5 s later (5 frames in 0.5 s: 8.0 frames/s), then none again."""
    tab = WebcamTab(app)
    rgb = np.ascontiguousarray(load_image(ONE_PERSON)[..., ::-1])
    session, tables, figures, works = None, [], [], []
    start = app_clock.now = app_clock.now + 100
    for k in range(7):
        app_clock.now = start + k * STEP_S
        _, table, session, shown = tab.webcam_frame(rgb, session, request_, **SETTINGS)
        assert session is not None
        tables.append(table)
        figures.append(shown)
        works.append(f"{session.meter.work_ms:.0f}")
    due = [k for k, table in enumerate(tables) if isinstance(table, pd.DataFrame)]
    assert due == [0, 4]
    assert all(tables[k] == gr.skip() and figures[k] == gr.skip() for k in (1, 2, 3, 5, 6))
    assert figures[0] == translate("ui.webcam.starting", lang)
    assert figures[4] == translate("ui.webcam.figures", lang, fps="8.0", work=works[4])
    assert translate("ui.column.track", lang) in tables[0].columns  # the table in the page's language


# ---------------------------------------------------------------- the live channel's figures and frames


def test_the_live_figures_show_the_servers_rate_then_the_pages_own(
    served: tuple[LiveWebcam, str], clock: Clock
) -> None:
    live, url = served
    ticket, _ = live.start(**SETTINGS)
    assert live.words(ticket) == (gr.skip(), gr.skip(), gr.skip())  # no frame analysed yet
    start = clock.now
    sent = []
    with connect(url + ticket) as ws:
        for number, message in [
            (0, None),
            (1, {"fps": 0, "latency_ms": 50, "skipped": 0}),  # no frame shown yet: the server's rate
            (2, {"fps": 0.5, "latency_ms": 118.4, "skipped": 1}),
        ]:
            clock.now = start + number * STEP_S
            if message is not None:
                ws.send(json.dumps(message))  # read before the frame that follows it
            data = exchange(ws, number)
            sent.append(PHOTO)
            assert HEADER.unpack_from(data) == (number,)
            assert quantization_tables(data[HEADER.size :]) == SERVER_QUALITY  # JPEG_QUALITY
            table, figures, timer = live.words(ticket)
            assert isinstance(table, pd.DataFrame) and timer == gr.skip()
            if number == 0:
                assert figures == translate("ui.webcam.starting", "en")
            elif number == 1:
                assert figures == translate("ui.webcam.figures", "en", fps="8.0", work=work(live, ticket))

        def pages_figures(lang: str) -> str:  # the page's 0.5 frames/s, 118 ms and 1 frame dropped
            dropped = plural("ui.count.camera_frame", 1, lang)
            work_ms = work(live, ticket)
            return translate(
                "ui.webcam.live_figures", lang, fps="0.5", latency="118", dropped=dropped, work=work_ms
            )

        assert figures == pages_figures("en")
        assert "**0.5** frames/s shown" in figures and "**118 ms**" in figures
        assert "· 1 camera frame dropped" in figures
        table, figures, _ = live.words(ticket, ZH)
        assert figures == pages_figures("zh-CN")
        result = live.tickets[ticket].result
        assert result is not None
        pd.testing.assert_frame_equal(table, verdict_table(result, "zh-CN"))
        assert translate("ui.column.track", "zh-CN") in table.columns
        recording = live.recording(ticket)
        assert isinstance(recording, Recording)
        # The camera's own JPEGs, as they came, at their arrival times.
        assert recording.path.read_bytes() == b"".join(sent)
        assert [f.time for f in recording.frames] == [0.0, STEP_S, 2 * STEP_S]
        assert recording.size == (load_image(ONE_PERSON).shape[1], load_image(ONE_PERSON).shape[0])


def test_frames_dropped_by_the_server_add_to_those_the_page_skipped(served: tuple[LiveWebcam, str]) -> None:
    live, url = served
    ticket, _ = live.start(**SETTINGS)
    with connect(url + ticket) as ws:
        exchange(ws, 0)  # warm: the next frames come while one is analysed
        ws.send(json.dumps({"fps": 9.5, "latency_ms": 80, "skipped": 3}))
        last = 0
        while live.tickets[ticket].dropped == 0 and last < 40:  # bursts of 8 until one is dropped
            first, last = last + 1, last + 8
            for number in range(first, last + 1):
                ws.send(HEADER.pack(number) + PHOTO)
            while HEADER.unpack_from(ws.recv(timeout=TIMEOUT_S)) != (last,):
                pass
        dropped = live.tickets[ticket].dropped
        assert dropped > 0  # frames replaced by a newer one before they were analysed
        _, figures, _ = live.words(ticket)
        expected = plural("ui.count.camera_frame", 3 + dropped, "en")
        assert figures == translate(
            "ui.webcam.live_figures", "en", fps="9.5", latency="80", dropped=expected, work=work(live, ticket)
        )


def test_a_frame_of_exactly_the_largest_size_is_analysed_and_one_more_row_is_not(
    served: tuple[LiveWebcam, str],
) -> None:
    live, url = served
    width, height = 1920, MAX_FRAME_PIXELS // 1920
    ticket, _ = live.start(**SETTINGS)
    with connect(url + ticket) as ws:
        data = exchange(ws, 4_294_967_295, camera_jpeg(np.full((height, width, 3), 90, np.uint8)))
        assert HEADER.unpack_from(data) == (4_294_967_295,)  # the largest number comes back whole
        image = cv2.imdecode(np.frombuffer(data[HEADER.size :], np.uint8), cv2.IMREAD_COLOR)
        assert image.shape == (height, width, 3)
    ticket, _ = live.start(**SETTINGS)
    with connect(url + ticket) as ws:
        ws.send(HEADER.pack(5) + camera_jpeg(np.full((height + 1, width, 3), 90, np.uint8)))
        text = ended(ws)
    assert f"{width}x{height + 1}" in text and f"the limit is {MAX_FRAME_PIXELS:,}" in text, text


# ---------------------------------------------------------------- tickets


def test_tickets_are_24_random_bytes_in_url_safe_base64(served: tuple[LiveWebcam, str]) -> None:
    live, _ = served
    ticket, timer = live.start(**SETTINGS)
    assert TICKET.fullmatch(ticket) and timer.active is True
    assert ticket in live.tickets


def test_an_unused_ticket_lives_exactly_its_time_to_live(
    served: tuple[LiveWebcam, str], clock: Clock
) -> None:
    live, url = served
    first, _ = live.start(**SETTINGS)
    clock.now += TICKET_TTL_S  # exactly its lifetime later: still valid
    second, _ = live.start(**SETTINGS)
    assert first in live.tickets and second in live.tickets
    with connect(url + first) as ws:
        assert HEADER.unpack_from(exchange(ws, 1)) == (1,)
    clock.now += TICKET_TTL_S + 1e-3  # the second one: just past its lifetime
    third, _ = live.start(**SETTINGS)
    assert second not in live.tickets and third in live.tickets
    with pytest.raises(InvalidStatus):
        connect(url + second, open_timeout=TIMEOUT_S)


def test_a_connected_session_outlives_its_tickets_time_to_live(
    served: tuple[LiveWebcam, str], clock: Clock
) -> None:
    live, url = served
    ticket, _ = live.start(**SETTINGS)
    with connect(url + ticket) as ws:
        exchange(ws, 1)
        clock.now += 10 * TICKET_TTL_S
        other, _ = live.start(**SETTINGS)  # drops the unused tickets that expired: not this one
        assert ticket in live.tickets and other in live.tickets
        assert HEADER.unpack_from(exchange(ws, 2)) == (2,)
        assert isinstance(live.words(ticket)[0], pd.DataFrame)  # its table goes on


def test_a_page_has_one_live_session_and_other_pages_keep_theirs(served: tuple[LiveWebcam, str]) -> None:
    live, url = served
    page_a, page_b = gr.Request(session_hash="page-a"), gr.Request(session_hash="page-b")
    first, _ = live.start(page_a, **SETTINGS)
    with connect(url + first) as ws:
        exchange(ws, 1)
        other, _ = live.start(page_b, **SETTINGS)
        anonymous = [live.start(**SETTINGS)[0] for _ in range(2)]  # API clients: no page, none replaced
        assert all(t in live.tickets for t in (first, other, *anonymous))
        for t in anonymous:
            del live.tickets[t]
        again, _ = live.start(page_a, **SETTINGS)  # the same page starts again: its first session ends
        assert first not in live.tickets and other in live.tickets and again in live.tickets
        ws.send(HEADER.pack(2) + PHOTO)
        assert ended(ws) == translate("error.live.replaced", "en")
    with connect(url + other) as ws:  # the other page's session was left alone
        assert HEADER.unpack_from(exchange(ws, 3)) == (3,)


def test_a_session_speaks_the_language_of_the_page_that_started_it(
    app: PoseApp, served: tuple[LiveWebcam, str]
) -> None:
    live, url = served
    ticket, _ = live.start(ZH, **SETTINGS)
    with connect(url + ticket) as ws:
        ws.send(HEADER.pack(1))  # a number and no picture
        assert ended(ws) == translate("error.live.frame", "zh-CN")
    outside = str(Path(__file__).resolve())  # not an upload of this app
    for request, lang in ((ZH, "zh-CN"), (None, "en")):
        with pytest.raises(gr.Error) as refused:
            live.start(request, rule_file=outside, **SETTINGS)
        assert refused.value.message == translate("ui.error.not_uploaded", lang)
        assert refused.value.title == translate("ui.error.title", lang)
    with pytest.raises(UserError) as unknown:  # a setting's own refusal, from the library
        app.settings(exercise="no-such-exercise")
    for request, lang in ((ZH, "zh-CN"), (None, "en")):
        with pytest.raises(gr.Error) as refused:
            live.start(request, exercise="no-such-exercise", **SETTINGS)
        assert refused.value.message == unknown.value.text(lang)
        assert refused.value.title == translate("ui.error.title", lang)


def test_a_full_server_sends_the_page_to_gradios_stream_and_logs_why(
    app: PoseApp, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    live = LiveWebcam(app, time_limit_s=120, max_sessions=2, clock=clock)
    tickets = [live.start(**SETTINGS)[0] for _ in range(2)]
    with caplog.at_level(logging.INFO, logger="pose_demo.app.live"):
        refused, timer = live.start(**SETTINGS)
    assert all(TICKET.fullmatch(t) for t in tickets) and refused == "" and timer.active is False
    assert caplog.messages == ["Live webcam: 2 sessions already, this one uses Gradio's stream"]


# ---------------------------------------------------------------- the socket's log, end and workers


def test_a_session_is_logged_served_by_the_live_workers_and_ended_with_a_normal_close(
    served: tuple[LiveWebcam, str], caplog: pytest.LogCaptureFixture
) -> None:
    live, url = served
    ticket, _ = live.start(ZH, **SETTINGS)
    before = set(threading.enumerate())
    with caplog.at_level(logging.INFO, logger="pose_demo.app.live"), connect(url + ticket) as ws:
        exchange(ws, 1)
        # The analysis runs on this live webcam's own threads, started for it and named for it.
        assert "live-webcam_0" in {t.name for t in set(threading.enumerate()) - before}
        ws.send(HEADER.pack(2))  # a number and no picture: the session ends
        raw = ws.recv(timeout=TIMEOUT_S)
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=TIMEOUT_S)
    # The reason in the page's language, as its characters (not escaped), then a normal close.
    assert raw == json.dumps({"end": translate("error.live.frame", "zh-CN")}, ensure_ascii=False)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1000
    assert "Live webcam session started" in caplog.messages
    assert f"Live webcam: {translate('error.live.frame', 'en')}" in caplog.messages  # why, in the log


def test_a_page_that_closes_its_socket_ends_its_session_quietly(
    served: tuple[LiveWebcam, str], caplog: pytest.LogCaptureFixture
) -> None:
    live, url = served
    ticket, _ = live.start(**SETTINGS)
    with caplog.at_level(logging.INFO, logger="pose_demo.app.live"):
        with connect(url + ticket) as ws:
            exchange(ws, 1)
        wait_gone(live, ticket)  # the page went: its ticket is dropped, and nothing went wrong
        ended_ = "Webcam session ended: its tracks and rule history are dropped"
        deadline = time.monotonic() + TIMEOUT_S  # logged just after the ticket is dropped
        while ended_ not in caplog.messages and time.monotonic() < deadline:
            time.sleep(0.05)
    assert [r.getMessage() for r in caplog.records if r.name == "pose_demo.app.live"] == [
        "Live webcam session started",
        ended_,
    ]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_a_figures_message_of_exactly_the_largest_size_is_read_and_one_more_character_is_not(
    served: tuple[LiveWebcam, str],
) -> None:
    live, url = served
    text = json.dumps({"fps": 7.5, "latency_ms": 90, "skipped": 2})
    text += " " * (MAX_TEXT_BYTES - len(text))  # JSON allows the spaces after the object
    ticket, _ = live.start(**SETTINGS)
    with connect(url + ticket) as ws:
        ws.send(text)
        exchange(ws, 1)  # the message is read before the frame that follows it
        assert live.tickets[ticket].client == ClientFigures(7.5, 90.0, 2)
        ws.send(text + " ")
        assert ended(ws) == translate("error.live.message", "en")


def test_a_frame_of_exactly_the_largest_message_is_read_and_one_byte_more_is_not(
    served: tuple[LiveWebcam, str],
) -> None:
    """A message of ``MAX_FRAME_BYTES``: its number and a JPEG padded after its end (decoders stop there)."""
    live, url = served
    padded = HEADER.pack(1) + PHOTO
    padded += bytes(MAX_FRAME_BYTES - len(padded))
    assert len(padded) == MAX_FRAME_BYTES
    ticket, _ = live.start(**SETTINGS)
    with connect(url + ticket, max_size=None) as ws:
        ws.send(padded)
        assert HEADER.unpack_from(ws.recv(timeout=TIMEOUT_S)) == (1,)
        ws.send(padded + b"\0")
        assert ended(ws) == translate("error.live.frame", "en")


class FailingWebcam(LiveWebcam):
    """A live webcam whose analysis fails with ``fault``: put in by the test, as no input reaches the
    socket's branch for an unexpected error (a bug, or the server's disk full while recording)."""

    fault: Exception = ZeroDivisionError("a bug")

    def _analyse(self, live: Ticket, data: bytes) -> bytes:
        raise self.fault


@pytest.mark.parametrize(
    "fault", [ZeroDivisionError("a bug"), OSError(errno.ENOSPC, "No space left on device")]
)
def test_a_bug_ends_the_session_with_a_plain_message_and_is_logged_with_its_traceback(
    app: PoseApp, clock: Clock, caplog: pytest.LogCaptureFixture, fault: Exception
) -> None:
    """A disk error is not the page going away (uvicorn's ClientDisconnected, an OSError too): both said,
    both logged."""
    live = FailingWebcam(app, time_limit_s=120, clock=clock)
    live.fault = fault
    with serving(live) as url:
        ticket, _ = live.start(ZH, **SETTINGS)
        with caplog.at_level(logging.INFO, logger="pose_demo.app.live"), connect(url + ticket) as ws:
            ws.send(HEADER.pack(1) + PHOTO)
            text = ended(ws)
        wait_gone(live, ticket)
    assert text == translate("ui.error.unexpected", "zh-CN", task=Message("ui.task.webcam"))
    assert translate("ui.task.webcam", "zh-CN") in text and str(fault) not in text
    (failed,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert failed.getMessage() == "Live webcam failed" and failed.exc_info is not None
    assert failed.exc_info[1] is fault


def test_the_time_limit_is_said_in_whole_minutes_in_the_pages_language(app: PoseApp, clock: Clock) -> None:
    live = LiveWebcam(app, time_limit_s=0.5, clock=clock)  # half a second: "0 minutes", rounded
    with serving(live) as url:
        ticket, _ = live.start(ZH, **SETTINGS)
        with connect(url + ticket) as ws:
            assert ended(ws) == translate("ui.webcam.time_up", "zh-CN", minutes=0)


# ---------------------------------------------------------------- Gradio events beside the socket


def test_a_setting_changed_follows_the_page_and_its_language(
    app: PoseApp, served: tuple[LiveWebcam, str]
) -> None:
    live, url = served
    ticket, _ = live.start(**SETTINGS)
    assert live.tickets[ticket].language == "en"
    session = live.tickets[ticket].session
    live.update(ticket, ZH, exercise="squat", **SETTINGS)
    assert live.tickets[ticket].language == "zh-CN" and live.tickets[ticket].session is not session
    assert live.tickets[ticket].session.stream.reps is not None
    outside = str(Path(__file__).resolve())  # a rule file that is not an upload: refused in the page's words
    for request, lang in ((ZH, "zh-CN"), (None, "en")):
        with pytest.raises(gr.Error) as refused:
            live.update(ticket, request, rule_file=outside, **SETTINGS)
        assert refused.value.message == translate("ui.error.not_uploaded", lang)
    with pytest.raises(UserError) as unknown:  # a setting's own refusal, from the library
        app.settings(exercise="no-such-exercise")
    with pytest.raises(gr.Error) as refused:
        live.update(ticket, ZH, exercise="no-such-exercise", **SETTINGS)
    assert refused.value.message == unknown.value.text("zh-CN")
    assert live.update("no-such-ticket", ZH, exercise="no-such-exercise") is None  # ended: nothing to follow
    assert live.recording("no-such-ticket") == gr.skip()
    with connect(url + ticket) as ws:  # the language of the last update that was applied
        ws.send(HEADER.pack(1))
        assert ended(ws) == translate("error.live.frame", "zh-CN")  # a refused update changed nothing


def test_the_reset_button_resets_the_live_session_or_else_the_streams(
    app: PoseApp, served: tuple[LiveWebcam, str], capsys: pytest.CaptureFixture[str]
) -> None:
    live, _ = served
    ticket, _ = live.start(exercise="squat", **SETTINGS)
    stream_session = webcam_session(app, None, "en", exercise="squat", **SETTINGS)
    counts = live.tickets[ticket].session.stream.reps
    other = stream_session.stream.reps
    assert counts is not None and other is not None and not counts._reset and not other._reset
    live.reset(ticket, stream_session)  # the live session's counts, not the stream's
    assert counts._reset and not other._reset  # from zero at its next frame
    live.reset("", stream_session)  # no live session: Gradio's stream's
    assert other._reset
    capsys.readouterr()
    plain = webcam_session(app, None, "en", **SETTINGS)  # no exercise: no counts
    for ticket_, session, request, lang in (
        ("", None, None, "en"),
        ("", plain, ZH, "zh-CN"),
        (live.start(ZH, **SETTINGS)[0], stream_session, ZH, "zh-CN"),
    ):
        live.reset(ticket_, session, request)
        assert capsys.readouterr().out == translate("ui.info.nothing_to_reset", lang) + "\n"


def test_the_pages_script_gets_its_settings_and_the_webcam_prompt_in_each_language(
    served: tuple[LiveWebcam, str],
) -> None:
    live, _ = served
    source = SCRIPT.read_text(encoding="utf-8").splitlines()
    script = live.script().splitlines()
    prompts = {lang: translate("ui.webcam.access", lang) for lang in LANGUAGES}
    changed = [
        k for k, line in enumerate(source) if "__MAX_IN_FLIGHT__" in line or "__WEBCAM_PROMPTS__" in line
    ]
    assert len(changed) == 2 and len(script) == len(source)
    assert [line for k, line in enumerate(script) if k not in changed] == [
        line for k, line in enumerate(source) if k not in changed
    ]
    assert script[changed[0]] == f"const MAX_IN_FLIGHT = {MAX_IN_FLIGHT};" and MAX_IN_FLIGHT == 2
    assert script[changed[1]].startswith("const PROMPTS = {") and script[changed[1]].endswith("};")
    assert json.loads(script[changed[1]].removeprefix("const PROMPTS = ").removesuffix(";")) == prompts
    assert prompts["zh-CN"] in script[changed[1]]  # written as its characters


# ---------------------------------------------------------------- the session kept


def test_a_recording_is_a_video_at_the_sessions_mean_rate(app: PoseApp, tmp_path: Path) -> None:
    """Frames 0.125 s apart: 8 frames/s, every frame counted as expected and none skipped; two frames are a
    video, fewer are nothing to keep."""
    session = webcam_session(app, None, "en", **SETTINGS)
    image = load_image(ONE_PERSON)
    with pytest.raises(UserError) as nothing:
        session.recording.to_run(tmp_path)
    assert nothing.value.text("en") == translate("ui.webcam.error.nothing_recorded", "en")
    started = time.perf_counter()
    session.process(image, 100.0, PHOTO)
    elapsed_ms = (time.perf_counter() - started) * 1000
    assert 0 < session.meter.work_ms < elapsed_ms  # the stream's work, within the whole call's time
    with pytest.raises(UserError) as nothing:
        session.recording.to_run(tmp_path)
    assert nothing.value.text("zh-CN") == translate("ui.webcam.error.nothing_recorded", "zh-CN")
    session.process(image, 100.0 + STEP_S, PHOTO)
    two = tmp_path / "two"
    two.mkdir()
    assert session.recording.to_run(two).rate == Fraction(8)  # two frames are a video
    session.process(image, 100.0 + 2 * STEP_S, PHOTO)
    run = session.recording.to_run(tmp_path)
    assert run.rate == Fraction(8) and run.frame_stride == 1 and run.frames_expected == 3
    assert [(f.index, f.time) for f in run.frames] == [(0, 0.0), (1, STEP_S), (2, 2 * STEP_S)]
    assert run.output == tmp_path / "webcam.mp4"
    video = probe(run.output)
    assert (video.width, video.height) == (image.shape[1], image.shape[0]) and video.frames == 3
    # A frame without the camera's JPEG (Gradio's stream) is recorded as encoded here, at JPEG_QUALITY.
    stream = webcam_session(app, None, "en", **SETTINGS)
    stream.process(image, 100.0)
    recorded = stream.recording.path.read_bytes()
    assert quantization_tables(recorded) == SERVER_QUALITY
    assert cv2.imdecode(np.frombuffer(recorded, np.uint8), cv2.IMREAD_COLOR).shape == image.shape


def test_a_webcam_session_runs_on_one_thread_draws_as_asked_and_keeps_its_recording(app: PoseApp) -> None:
    settings = {"show": ["boxes"], "thickness": 2.0, **SETTINGS}
    session = webcam_session(app, None, "zh-CN", **settings)
    s = app.settings(lang="zh-CN", **settings)
    assert WEBCAM_THREADS == 1
    assert session.stream.model is app.models.get(s.detector, s.keypoint_model, WEBCAM_THREADS)
    assert session.stream.draw_options == s.draw_options("zh-CN")  # labels in the page's language
    assert session.stream.model.names == s.models
    assert session.recording.key == session.key == (s.models, s.analysis_options(app.catalog))  # the report's
    image = load_image(ONE_PERSON)
    session.process(image, 100.0, PHOTO)
    time.sleep(0.7)  # the machine busy: the next frame, stamped 10 ms later, arrives 0.7 s later
    session.process(image, 100.01, PHOTO)
    assert session.stream.dropped == 0 and len(session.recording.frames) == 2
    again = webcam_session(app, session, "zh-CN", exercise="squat", **settings)  # the analysis changed
    assert again is not session and again.stream is not session.stream
    assert again.recording is session.recording and len(again.recording.frames) == 2  # it goes on
    assert (
        again.recording.key == (again.stream.model.names, again.key[1]) and again.key[1].exercise == "squat"
    )
