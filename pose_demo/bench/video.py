"""``bench-video``: a video end to end (decode -> analyse -> draw -> encode) timed per stage, with the CPU
time of Python and ffmpeg, and the smoothing filters compared on the same detections."""

from __future__ import annotations

import os
import resource
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from pose_demo.bench.smoothing import smoothing_comparison
from pose_demo.predictor import UniModel
from pose_demo.video import VideoInfo, VideoOptions, process_video


def _cpu_seconds() -> dict[str, float]:
    """CPU time used so far by this process, and by its finished child processes (ffmpeg)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"python": own.ru_utime + own.ru_stime, "ffmpeg": children.ru_utime + children.ru_stime}


def bench_video(model: UniModel, info: VideoInfo, options: VideoOptions) -> dict[str, Any]:
    """The figures of one run with ``options`` (after a run without smoothing or rules, which also warms
    the models up and gives the raw keypoints the smoothing comparison starts from)."""
    analysis = options.analysis
    raw = process_video(
        model, info, None, replace(options, analysis=replace(analysis, smoothing="none", rules=None))
    )
    model.timer.reset()
    model.timer.enabled = True
    before = _cpu_seconds()
    with tempfile.TemporaryDirectory() as tmp:
        run = process_video(model, info, Path(tmp) / "out.mp4", options)
    cpu = {k: v - before[k] for k, v in _cpu_seconds().items()}
    model.timer.enabled = False
    n = len(run.frames)
    return {
        "video": run.to_dict(),
        "models": list(model.names),
        "det_interval": analysis.det_interval,
        "smoothing": analysis.smoothing,
        "strength": analysis.strength,
        "load_average": round(os.getloadavg()[0], 2),
        "frames": n,
        "seconds": round(run.seconds, 3),
        "fps": round(run.fps, 2),
        "cpu_ms_per_frame": {k: round(v * 1000 / n, 2) for k, v in cpu.items()},
        "stage_ms": {k: round(v, 3) for k, v in run.stage_ms.items()},
        "model_ms": {k: round(v / n, 3) for k, v in model.timer.totals.items()},
        "jitter_lag": smoothing_comparison(raw, analysis.strength),
    }
