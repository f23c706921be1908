"""The live webcam's socket (``pose_demo/app/live.py``) served by uvicorn on loopback, driven by a real
WebSocket client: frames analysed and sent back by number, the newest frame analysed first, one-time
tickets, bad frames and messages ending the session with a plain message, the time limit, and the
number of sessions. The whole path in Chromium: ``tests/test_webcam_live.py``."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from pose_demo.app.core import PoseApp
from pose_demo.app.live import HEADER, MAX_FRAME_BYTES, TICKET_TTL_S, LiveWebcam
from pose_demo.bench.live_socket import serving
from pose_demo.image_input import load_image
from tests.conftest import IMAGES
from tests.test_app import pose_app  # noqa: F401 (the fixture)

ONE_PERSON = IMAGES / "front_frame_lateral_raise_f0000_arms_down.jpg"
THREE_PERSONS = IMAGES / "front_ochuman_000817_three_people_walking.jpg"
TIMEOUT_S = 30


@pytest.fixture(scope="module")
def live(pose_app: PoseApp) -> LiveWebcam:  # noqa: F811
    return LiveWebcam(pose_app, time_limit_s=120)


@pytest.fixture(scope="module")
def url(live: LiveWebcam) -> Iterator[str]:
    with serving(live) as url:
        yield url


def frame(number: int, path: Path = ONE_PERSON) -> bytes:
    ok, jpeg = cv2.imencode(".jpg", load_image(path), [cv2.IMWRITE_JPEG_QUALITY, 80])
    assert ok
    return HEADER.pack(number) + jpeg.tobytes()


def reply(ws: ClientConnection) -> tuple[int, np.ndarray]:
    data = ws.recv(timeout=TIMEOUT_S)
    assert isinstance(data, bytes), data
    (number,) = HEADER.unpack_from(data)
    image = cv2.imdecode(np.frombuffer(data[HEADER.size :], np.uint8), cv2.IMREAD_COLOR)
    return number, image


def ended(ws: ClientConnection) -> str:
    """The reason the server gives for ending the session; the socket is closed after it."""
    message = json.loads(ws.recv(timeout=TIMEOUT_S))
    with pytest.raises(ConnectionClosed):
        ws.recv(timeout=TIMEOUT_S)
    return str(message["end"])


def wait_gone(live: LiveWebcam, ticket: str) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while ticket in live.tickets and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ticket not in live.tickets


def test_a_frame_comes_back_analysed_with_its_number_and_the_session_ends_with_the_socket(
    live: LiveWebcam, url: str, caplog: pytest.LogCaptureFixture
) -> None:
    ticket, timer = live.start()
    assert ticket and timer.active
    sent = load_image(ONE_PERSON)
    caplog.set_level(logging.INFO, logger="pose_demo.app.live")  # the end is logged after the socket closes
    with connect(url + ticket) as ws:
        ws.send(frame(7))
        number, image = reply(ws)
        assert number == 7 and image.shape == sent.shape
        assert np.abs(image.astype(int) - sent).mean() > 0.5  # the skeleton and labels are drawn
        table, figures, _ = live.words(ticket)
        assert isinstance(table, pd.DataFrame) and list(table["track"]) == [1]
        assert figures == "Starting…"  # frames/s after two frames
        ws.send(json.dumps({"fps": 14.2, "latency_ms": 118.0, "skipped": 3}))
        ws.send(frame(8))  # the figures message is read before this frame
        assert reply(ws)[0] == 8
        _, figures, _ = live.words(ticket)
        assert "**14.2** frames/s shown" in figures and "118 ms" in figures, figures
    wait_gone(live, ticket)
    deadline = time.monotonic() + TIMEOUT_S  # logged just after the ticket is dropped
    while "Webcam session ended" not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "Webcam session ended" in caplog.text
    assert live.words(ticket)[2].active is False  # the page's timer stops


def test_the_newest_frame_is_analysed_and_the_ones_it_replaced_are_dropped(
    live: LiveWebcam, url: str
) -> None:
    ticket, _ = live.start()
    with connect(url + ticket) as ws:
        ws.send(frame(0))
        assert reply(ws)[0] == 0  # warm: the next frames arrive while one is analysed
        for number in range(1, 7):
            ws.send(frame(number))
        numbers = []
        while not numbers or numbers[-1] != 6:
            numbers.append(reply(ws)[0])
        dropped = live.tickets[ticket].dropped
    assert numbers == sorted(numbers) and len(numbers) < 6, numbers  # in order, some never analysed
    assert dropped == 6 - len(numbers)


def test_tickets_are_secret_and_used_once(live: LiveWebcam, url: str) -> None:
    with pytest.raises(InvalidStatus):
        connect(url + "guessed-ticket", open_timeout=TIMEOUT_S)
    ticket, _ = live.start()
    assert len(ticket) >= 32 and ticket != live.start()[0]
    with connect(url + ticket) as ws:
        with pytest.raises(InvalidStatus):  # a second page with the same ticket
            connect(url + ticket, open_timeout=TIMEOUT_S)
        ws.send(frame(1))
        assert reply(ws)[0] == 1
    wait_gone(live, ticket)
    with pytest.raises(InvalidStatus):
        connect(url + ticket, open_timeout=TIMEOUT_S)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (HEADER.pack(1) + b"<html>not a picture</html>", "not an image that can be read"),
        (HEADER.pack(1), "not a camera picture"),  # a number and nothing else
        (HEADER.pack(1) + bytes(MAX_FRAME_BYTES), "not a camera picture"),
        (HEADER.pack(1) + cv2.imencode(".jpg", np.zeros((2200, 4000, 3), np.uint8))[1].tobytes(), "large"),
        ("not json", "not its figures"),
        (json.dumps({"fps": "nan", "latency_ms": 1, "skipped": 0}), "not its figures"),
        ("x" * 5000, "not its figures"),
    ],
)
def test_a_bad_frame_or_message_ends_the_session_with_a_plain_message(
    live: LiveWebcam, url: str, message: bytes | str, expected: str
) -> None:
    ticket, _ = live.start()
    with connect(url + ticket, max_size=None) as ws:
        ws.send(message)
        text = ended(ws)
    assert expected in text and not any(leak in text for leak in ("Traceback", "pose_demo", "/tmp")), text
    wait_gone(live, ticket)


def test_a_session_ends_at_its_time_limit(pose_app: PoseApp) -> None:  # noqa: F811
    live = LiveWebcam(pose_app, time_limit_s=2.0)
    with serving(live) as url:
        ticket, _ = live.start()
        started = time.monotonic()
        with connect(url + ticket) as ws:
            ws.send(frame(1))
            assert reply(ws)[0] == 1
            text = ended(ws)
        assert 2.0 <= time.monotonic() - started < 10
    assert "stopped after" in text and "Start the webcam" in text, text


def test_sessions_are_limited_and_unused_tickets_expire(pose_app: PoseApp) -> None:  # noqa: F811
    now = [0.0]
    live = LiveWebcam(pose_app, time_limit_s=120, max_sessions=1, clock=lambda: now[0])
    ticket, _ = live.start()
    refused, timer = live.start()  # the page uses Gradio's stream then
    assert ticket and refused == "" and timer.active is False
    now[0] += TICKET_TTL_S + 1
    assert live.start()[0] not in ("", ticket)
    assert ticket not in live.tickets


def test_two_sessions_keep_their_own_tracks_and_settings(live: LiveWebcam, url: str) -> None:
    first, _ = live.start(exercise="squat")
    second, _ = live.start()
    with connect(url + first) as a, connect(url + second) as b:
        for number in range(3):
            a.send(frame(number, THREE_PERSONS))
            b.send(frame(number, ONE_PERSON))
            assert reply(a)[0] == number and reply(b)[0] == number
        tables = [live.words(ticket)[0] for ticket in (first, second)]
        streams = [live.tickets[ticket].session.stream for ticket in (first, second)]
    assert sorted(tables[0]["track"]) == [1, 2, 3] and list(tables[1]["track"]) == [1]
    assert streams[0].reps is not None and streams[1].reps is None
    # A drawing setting applies at once to its session; an analysis setting starts new tracks.
    third, _ = live.start()
    session = live.tickets[third].session
    live.update(third, show=["boxes"])
    assert live.tickets[third].session is session
    live.update(third, exercise="squat")
    assert live.tickets[third].session is not session
