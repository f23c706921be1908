"""Quality by budget: the keypoint model a job gets when none was chosen (pure; issue 28, item 1).

Everything a coach reads rests on the keypoints, and TinyPose 256x192 is about 8 AP above 128x96 (13 AP on
the COCO subset here) at about three times the keypoint cost. So the large model runs wherever there is time
for it:

- a photo: always;
- a video file (analysed for a coach, not raced): when the clip still runs at least at real time with it,
  estimated on its first frames (``pose_demo.video.budget``); else the small one, and the summary says so;
- the live webcam: when it holds the camera's frame rate, at least 15 frames/s (``afford`` on its measured
  frames/s; the app's wiring is to come).

A preset or a keypoint model chosen explicitly wins (``ModelChoice.chosen``).
"""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class ModelChoice:
    """The keypoint model a job runs, and why: "chosen" (explicitly, or by a preset), "image" (a photo),
    "fast_enough" or "too_slow" (the large model's measured frames/s against those needed)."""

    keypoints: str
    reason: str
    fps: float | None = None
    needed: float | None = None

    def __post_init__(self) -> None:
        if self.reason not in REASONS:
            raise ValueError(f"reason must be one of {', '.join(REASONS)}, not {self.reason!r}")
        if (self.fps is None) != (self.reason not in ("fast_enough", "too_slow")):
            raise ValueError("fps and needed go with a measured choice, and only with one")

    @classmethod
    def chosen(cls, keypoints: str) -> ModelChoice:
        return cls(keypoints, "chosen")

    @classmethod
    def image(cls) -> ModelChoice:
        return cls(LARGE_KEYPOINTS, "image")

    def message(self, language: str = "en") -> str:
        """One sentence in ``language``: which model ran and why."""
        return translate(
            f"budget.{self.reason}",
            language,
            model=self.keypoints,
            large=LARGE_KEYPOINTS,
            fps=self.fps or 0.0,
            needed=self.needed or 0.0,
        )


def afford(large_fps: float, needed_fps: float) -> ModelChoice:
    """The large model if it runs at ``large_fps`` frames/s, at least ``needed_fps``; else the small one."""
    reason = "fast_enough" if large_fps >= needed_fps else "too_slow"
    keypoints = LARGE_KEYPOINTS if reason == "fast_enough" else SMALL_KEYPOINTS
    return ModelChoice(keypoints, reason, large_fps, needed_fps)
