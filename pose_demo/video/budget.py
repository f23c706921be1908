"""The keypoint model for a video file by the time the clip has (issue 28, item 1; see ``models.budget``):
the large model runs the clip's first frames, and stays if it kept at least real time."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from pose_demo.models.budget import AUTO_KEYPOINTS, HEADROOM, LARGE_KEYPOINTS, ModelChoice, afford
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
    least at ``HEADROOM`` times its frame rate, measured on its first frames (``probe_fps``), with the flip
    test for the main person if that still keeps the pace (tried first); else the small one. Options that
    ask for the flip are timed with it, and keep it whichever model runs."""
    needed = float(processed_rate(info, options)) * HEADROOM
    large = load(LARGE_KEYPOINTS)
    asked = options.analysis.flip_main
    if not asked:
        flipped = afford(probe_fps(large, info, run_options(options, True), clock), needed, flip=True)
        if flipped.reason == "fast_enough":
            return flipped
    return afford(probe_fps(large, info, options, clock), needed, flip=asked)


def run_options(options: VideoOptions, flip: bool) -> VideoOptions:
    """``options`` with the flip test for the main person turned on where ``flip`` (a ``ModelChoice``'s)."""
    return replace(options, analysis=replace(options.analysis, flip_main=True)) if flip else options


def choose_video_keypoints(
    keypoints: str,
    load: Callable[[str], UniModel],
    info: VideoInfo,
    options: VideoOptions,
    clock: Callable[[], float] = time.perf_counter,
) -> ModelChoice:
    """The keypoint model for a clip asked to run ``keypoints``: that one, or for ``AUTO_KEYPOINTS`` the one
    the clip has time for (``video_keypoints``); run it with ``run_options(options, choice.flip)``."""
    if keypoints != AUTO_KEYPOINTS:
        return ModelChoice.chosen(keypoints, options.analysis.flip_main)
    return video_keypoints(load, info, options, clock)
