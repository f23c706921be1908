"""Live webcam tickets are unguessable (issue 30, gap 2): each is 24 random bytes from ``secrets``
(URL-safe base64, 32 characters, 192 bits), so that knowing some tickets tells nothing of another.

A counter, a timestamp or a counter in base64 would give tickets that are sequential, share a prefix or
have skewed bytes; the checks below would each fail for those. (Ticket lifetime and idle sockets are
not tested here.)
"""

from __future__ import annotations

import base64
import functools
import itertools
import re

import numpy as np

from pose_demo.app.core import PoseApp
from pose_demo.app.live import TICKET_TTL_S, LiveWebcam
from tests.test_app import pose_app  # noqa: F401 (the fixture)

COUNT = 2000
URL_SAFE = re.compile(r"[A-Za-z0-9_-]+")


@functools.cache
def made(app: PoseApp) -> tuple[str, ...]:
    """``COUNT`` tickets from one live webcam, each taken after the one before expired unused.

    Made by the first test that asks, not in a fixture: mutmut runs a mutant's tests fastest first by the
    time each took, a fixture's time uncounted, and these 2000 live sessions are the slow part."""
    ticks = itertools.count(0.0, TICKET_TTL_S + 1)
    live = LiveWebcam(app, time_limit_s=120, max_sessions=1, clock=lambda: next(ticks))
    tickets = []
    for _ in range(COUNT):
        ticket, timer = live.start()
        assert ticket and timer.active
        tickets.append(ticket)
    return tuple(tickets)


def raw(ticket: str) -> bytes:
    return base64.urlsafe_b64decode(ticket + "=" * (-len(ticket) % 4))


def test_tickets_are_distinct_url_safe_and_192_bits(pose_app: PoseApp) -> None:  # noqa: F811
    tickets = made(pose_app)
    assert len(set(tickets)) == COUNT
    assert all(URL_SAFE.fullmatch(t) for t in tickets)
    assert {len(t) for t in tickets} == {32}
    assert {len(raw(t)) for t in tickets} == {24}  # at least 128 bits: 24 bytes


def test_tickets_share_no_prefix_and_do_not_follow_each_other(pose_app: PoseApp) -> None:  # noqa: F811
    tickets = made(pose_app)
    assert len({t[0] for t in tickets}) == 64  # every first character: no common prefix
    # Two random tickets of 2000 share their first 6 characters with probability about 1e-5.
    assert len({t[:6] for t in tickets}) == COUNT
    assert len({t[-6:] for t in tickets}) == COUNT
    numbers = [int.from_bytes(raw(t), "big") for t in tickets]
    steps = {b - a for a, b in itertools.pairwise(numbers)}
    assert len(steps) == COUNT - 1  # no constant step
    assert min(abs(s) for s in steps) > 2**100  # consecutive tickets are far apart


def test_ticket_bytes_are_uniform(pose_app: PoseApp) -> None:  # noqa: F811
    """The 48,000 bytes as a whole and each of the 24 byte positions across tickets look uniform."""
    tickets = made(pose_app)
    data = np.frombuffer(b"".join(raw(t) for t in tickets), np.uint8).reshape(COUNT, 24)
    counts = np.bincount(data.ravel(), minlength=256)
    expected = data.size / 256
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    assert chi2 < 400  # 255 degrees of freedom: mean 255, sd 22.6; 400 is beyond 1 in 10^9
    bits = np.unpackbits(data, axis=1)
    assert abs(bits.mean() - 0.5) < 0.01  # 384,000 bits: sd 0.0008
    assert np.all(np.abs(bits.mean(axis=0) - 0.5) < 0.06)  # every bit position: sd 0.011
    for position in range(24):
        assert len(np.unique(data[:, position])) > 230, position  # about 256 expected of 2000 draws
