"""Quality by budget: the keypoint model a job gets when none was chosen (pure; issue 28, item 1).

Everything a coach reads rests on the keypoints, and TinyPose 256x192 is about 8 AP above 128x96 (13 AP on
the COCO subset here) at about three times the keypoint cost. So the large model runs wherever there is time
for it:

- a photo: always;
- a video file (analysed for a coach, not raced): when the clip still runs at least at real time with it,
  estimated on its first frames (``pose_demo.video.budget``); else the small one, and the summary says so;
- the live webcam: when it holds the camera's frame rate, at least ``LIVE_FPS`` frames/s, measured on the
  session's first frames (``LiveBudget``).

A preset or a keypoint model chosen explicitly wins (``ModelChoice.chosen``).
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Any

from pose_demo.i18n import translate
from pose_demo.models.presets import ACCURATE_KEYPOINTS
from pose_demo.models.registry import DEFAULT_KEYPOINTS

AUTO_KEYPOINTS = "auto"  # the keypoint model, when it is to be chosen by the job and its budget
LARGE_KEYPOINTS = ACCURATE_KEYPOINTS
SMALL_KEYPOINTS = DEFAULT_KEYPOINTS
# Frames/s the large model must reach on a clip's first frames, per frame/s of the clip: drawing and
# encoding, which that measure leaves out, take about a fifth of a frame's time on 2 cores; so about real
# time end to end.
HEADROOM = 1.25
REASONS = ("chosen", "image", "fast_enough", "too_slow")
LIVE_FPS = 15.0  # frames/s a live webcam session must hold to keep the large model
LIVE_TRIAL_S = 2.0  # seconds of a live session's first frames on which the large model is timed


@dataclass(frozen=True)
class ModelChoice:
    """The keypoint model a job runs, and why: "chosen" (explicitly, or by a preset), "image" (a photo),
    "fast_enough" or "too_slow" (the large model's measured frames/s against those needed)."""

    keypoints: str
    reason: str
    fps: float | None = None
    needed: float | None = None
    flip: bool = False  # with the flip test for the main person (asked for, or affordable with the large one)

    def __post_init__(self) -> None:
        if self.reason not in REASONS:
            raise ValueError(f"reason must be one of {', '.join(REASONS)}, not {self.reason!r}")
        if (self.fps is None) != (self.reason not in ("fast_enough", "too_slow")):
            raise ValueError("fps and needed go with a measured choice, and only with one")

    @classmethod
    def chosen(cls, keypoints: str, flip: bool = False) -> ModelChoice:
        return cls(keypoints, "chosen", flip=flip)

    @classmethod
    def image(cls) -> ModelChoice:
        return cls(LARGE_KEYPOINTS, "image")

    def to_dict(self) -> dict[str, Any]:
        """For the JSON exports: the model, why, and the large model's measured frames/s against those
        needed (null when the clip was too short to time) where they were measured."""
        measured = (
            {"fps": round(self.fps, 1) if math.isfinite(self.fps) else None, "needed": round(self.needed, 1)}
            if self.fps is not None and self.needed is not None
            else {}
        )
        return {"name": self.keypoints, "reason": self.reason, **measured, "flip_main": self.flip}

    def message(self, language: str = "en") -> str:
        """One sentence in ``language``: which model ran and why."""
        return translate(
            f"budget.{self.reason}{'_flip' if self.flip and self.reason == 'fast_enough' else ''}",
            language,
            model=self.keypoints,
            large=LARGE_KEYPOINTS,
            fps=self.fps or 0.0,
            needed=self.needed or 0.0,
        )


def afford(large_fps: float, needed_fps: float, flip: bool = False) -> ModelChoice:
    """The large model if it runs at ``large_fps`` frames/s, at least ``needed_fps``; else the small one;
    ``flip``: with the flip test for the main person (``large_fps`` measured with it)."""
    reason = "fast_enough" if large_fps >= needed_fps else "too_slow"
    keypoints = LARGE_KEYPOINTS if reason == "fast_enough" else SMALL_KEYPOINTS
    return ModelChoice(keypoints, reason, large_fps, needed_fps, flip)


def candidates(keypoints: str) -> tuple[str, ...]:
    """The keypoint models a job asked to run ``keypoints`` may run: that one, or for ``AUTO_KEYPOINTS``
    the large and the small one."""
    return (LARGE_KEYPOINTS, SMALL_KEYPOINTS) if keypoints == AUTO_KEYPOINTS else (keypoints,)


def photo_keypoints(keypoints: str) -> ModelChoice:
    """The keypoint model for a photo asked to run ``keypoints``: that one, or for ``AUTO_KEYPOINTS`` the
    large one."""
    return ModelChoice.image() if keypoints == AUTO_KEYPOINTS else ModelChoice.chosen(keypoints)


class LiveBudget:
    """The keypoint model of a live webcam session with ``AUTO_KEYPOINTS``: the large one on its frames of
    the first ``LIVE_TRIAL_S`` seconds, then ``afford`` on the frames/s that its median work per frame
    allows (a session analyses one frame at a time) against ``needed_fps``."""

    def __init__(self, needed_fps: float = LIVE_FPS) -> None:
        self.needed_fps = needed_fps
        self.choice: ModelChoice | None = None  # once the trial is over
        self._started: float | None = None
        self._work_ms: list[float] = []

    @property
    def keypoints(self) -> str:
        """The keypoint model to run now."""
        return LARGE_KEYPOINTS if self.choice is None else self.choice.keypoints

    def add(self, arrival_s: float, work_ms: float) -> bool:
        """One frame analysed with ``keypoints``, arrived at ``arrival_s`` (seconds), in ``work_ms``; whether
        this frame ended the trial (``choice`` is made then, once)."""
        if self.choice is not None:
            return False
        if self._started is None:
            self._started = arrival_s
        self._work_ms.append(work_ms)
        if arrival_s - self._started < LIVE_TRIAL_S:
            return False
        self.choice = afford(1000.0 / max(statistics.median(self._work_ms), 1e-3), self.needed_fps)
        return True
