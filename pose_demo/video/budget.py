"""The keypoint model for a video file by the time the clip has (issue 28, item 1; see ``models.budget``):
the large model runs the clip's first frames, and stays if it kept at least real time."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from pose_demo.models.budget import HEADROOM, LARGE_KEYPOINTS, ModelChoice, afford
from pose_demo.predictor import UniModel
from pose_demo.video.io import VideoInfo
from pose_demo.video.pipeline import VideoOptions, process_video, processed_rate

WARMUP_FRAMES = 4  # first frames not timed: the first inferences of a model are slower
PROBE_FRAMES = 30  # frames timed after them


def probe_fps(
    model: UniModel, info: VideoInfo, options: VideoOptions, clock: Callable[[], float] = time.perf_counter
) -> float:
    """Frames/s at which ``model`` analyses the clip's first frames as ``options`` say (decoding, models,
    tracking, smoothing, rules and counting; no drawing nor encoding), its first ``WARMUP_FRAMES`` not
    counted; infinite for a clip too short to time."""
    stamps: list[float] = []
    probe = replace(options, max_frames=WARMUP_FRAMES + PROBE_FRAMES)
    process_video(model, info, None, probe, lambda done, total: stamps.append(clock()))
    timed = stamps[WARMUP_FRAMES - 1 :]
    elapsed = timed[-1] - timed[0] if len(timed) > 1 else 0.0
    return (len(timed) - 1) / elapsed if elapsed > 0 else float("inf")


def video_keypoints(
    load: Callable[[str], UniModel],
    info: VideoInfo,
    options: VideoOptions,
    clock: Callable[[], float] = time.perf_counter,
) -> ModelChoice:
    """The large keypoint model if it analyses the clip (``load`` gives a model by keypoint model name) at
    least at ``HEADROOM`` times its frame rate, measured on its first frames (``probe_fps``); else the
    small one."""
    fps = probe_fps(load(LARGE_KEYPOINTS), info, options, clock)
    return afford(fps, float(processed_rate(info, options)) * HEADROOM)
