"""``bench-video``: a video end to end (decode -> analyse -> draw -> encode) timed per stage, with the CPU
time of Python and ffmpeg, the smoothing filters compared on the same detections, the bone-length variation
per person, and optionally the pipelined path against the sequential one (one frame at a time) in the same
run."""

from __future__ import annotations

import os
import resource
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from pose_demo.bench.keypoints import bone_variation_per_track
from pose_demo.bench.smoothing import smoothing_comparison
from pose_demo.predictor import UniModel
from pose_demo.video import VideoInfo, VideoOptions, process_video

ROUNDS = 2  # timed runs of each path when both are compared, alternating; the faster of each counts


def _cpu_seconds() -> dict[str, float]:
    """CPU time used so far by this process, and by its finished child processes (ffmpeg)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"python": own.ru_utime + own.ru_stime, "ffmpeg": children.ru_utime + children.ru_stime}


def _timed(model: UniModel, info: VideoInfo, options: VideoOptions) -> dict[str, Any]:
    """The figures of one run, writing the video to a temporary file."""
    model.timer.reset()
    model.timer.enabled = True
    before = _cpu_seconds()
    with tempfile.TemporaryDirectory() as tmp:
        run = process_video(model, info, Path(tmp) / "out.mp4", options)
    cpu = {k: v - before[k] for k, v in _cpu_seconds().items()}
    model.timer.enabled = False
    n = len(run.frames)
    return {
        "path": "sequential" if options.frames_in_flight == 1 else "pipelined",
        "frames_in_flight": options.frames_in_flight,
        "load_average": round(os.getloadavg()[0], 2),
        "video": run.to_dict(),
        "frames": n,
        "seconds": round(run.seconds, 3),
        "fps": round(run.fps, 2),
        "cpu_ms_per_frame": {k: round(v * 1000 / n, 2) for k, v in cpu.items()},
        "stage_ms": {k: round(v, 3) for k, v in run.stage_ms.items()},
        # the models' stages, added up over the frames in flight at once
        "model_ms": {k: round(v / n, 3) for k, v in model.timer.totals.items()},
        # per person: the coefficient of variation of each limb bone's length, the median over the bones
        "bone_variation": bone_variation_per_track(run),
    }


def bench_video(
    model: UniModel, info: VideoInfo, options: VideoOptions, sequential: UniModel | None = None
) -> dict[str, Any]:
    """The figures of one run with ``options`` (after a run without smoothing or rules, which also warms
    the models up and gives the raw keypoints the smoothing comparison starts from).

    With a ``sequential`` model (today's: one stream), the same run one frame at a time on it too, the two
    alternating ``ROUNDS`` times: its figures under ``sequential`` and ``speedup``, the ratio of frames/s.
    """
    analysis = options.analysis
    raw = process_video(
        model, info, None, replace(options, analysis=replace(analysis, smoothing="none", rules=None))
    )
    runs, alone = [], []
    for _ in range(ROUNDS if sequential is not None else 1):
        if sequential is not None:
            alone.append(_timed(sequential, info, replace(options, frames_in_flight=1)))
        runs.append(_timed(model, info, options))
    figures = max(runs, key=_fps)
    compared = {}
    if alone:
        best_alone = max(alone, key=_fps)
        compared = {"sequential": best_alone, "speedup": round(figures["fps"] / best_alone["fps"], 3)}
    return {
        "models": list(model.names),
        "det_interval": analysis.det_interval,
        "smoothing": analysis.smoothing,
        "strength": analysis.strength,
        **figures,
        **compared,
        "jitter_lag": smoothing_comparison(raw, analysis.strength),
    }


def _fps(figures: dict[str, Any]) -> float:
    return figures["fps"]
