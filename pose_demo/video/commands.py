"""The ``video`` and ``bench-video`` subcommands of ``python -m pose_demo.cli``."""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from pose_demo.argtypes import fraction, positive
from pose_demo.focus import FOCUS_MODES
from pose_demo.results import Person
from pose_demo.rules import RuleError, RuleSet
from pose_demo.solution import UniModel
from pose_demo.tracking import SMOOTHING_KINDS, make_smoother
from pose_demo.tracking.metrics import PaddleKeypointSmoothing, jitter, lag_frames, still_phases
from pose_demo.video.exports import write_csv, write_gif, write_json
from pose_demo.video.io import VideoInputError
from pose_demo.video.pipeline import VideoOptions, VideoRun, check_video, process_video

ModelFromArgs = Callable[[argparse.Namespace], UniModel]


def add_video_commands(
    subparsers: Any,  # argparse's private _SubParsersAction
    add_model_args: Callable[[argparse.ArgumentParser], None],
    model_from_args: ModelFromArgs,
) -> None:
    """Register ``video`` and ``bench-video`` on the CLI's subparsers."""
    threads = "Inference runs on 1 thread unless --threads says otherwise: ffmpeg uses the other cores."
    p = subparsers.add_parser(
        "video", help="a video -> annotated H.264 video, per-frame JSON / CSV, GIF", description=threads
    )
    p.add_argument("input", help="video file")
    p.add_argument("--out", help="annotated video (.mp4); default <input>_pose.mp4 if no output is given")
    p.add_argument("--json", help="per-frame persons as JSON")
    p.add_argument("--csv", help="one row per frame and person: keypoints and joint angles")
    p.add_argument("--gif", help="small animated GIF preview of the first seconds")
    _add_processing_args(p)
    add_model_args(p)
    p.set_defaults(func=partial(cmd_video, model_from_args=model_from_args), threads=1)

    p = subparsers.add_parser(
        "bench-video", help="video throughput per stage, and keypoint jitter / lag", description=threads
    )
    p.add_argument("input", help="video file")
    p.add_argument("--json", help="write the figures here")
    _add_processing_args(p)
    add_model_args(p)
    p.set_defaults(func=partial(cmd_bench_video, model_from_args=model_from_args), threads=1)


def _add_processing_args(p: argparse.ArgumentParser) -> None:
    group = p.add_argument_group("processing")
    group.add_argument("--smoothing", choices=SMOOTHING_KINDS, default="oneeuro")
    group.add_argument("--strength", type=fraction, default=0.5, help="smoothing strength, 0..1")
    group.add_argument("--det-interval", type=positive(int), default=1, help="detect every k-th frame")
    group.add_argument("--rules", help="rule catalog name or rule file (adds verdicts and angle columns)")
    group.add_argument(
        "--det-threshold", type=fraction, help="person detection threshold, 0..1 (default: the model's own)"
    )
    group.add_argument(
        "--focus",
        choices=FOCUS_MODES,
        default="everyone",
        help="keep only the main person, chosen as the largest or most central",
    )
    group.add_argument("--enhance", action="store_true", help="brighten dark frames before detection")
    group.add_argument("--max-duration", type=positive(float), default=600.0, help="refuse longer videos (s)")
    group.add_argument("--max-frames", type=positive(int), help="process only the first N frames")
    group.add_argument("--stride", type=positive(int), default=1, help="keep every n-th frame")
    group.add_argument("--scale", type=positive(float), default=1.0, help="scale the frames by this factor")


def _options(args: argparse.Namespace) -> VideoOptions:
    return VideoOptions(
        max_duration_s=args.max_duration,
        max_frames=args.max_frames,
        frame_stride=args.stride,
        output_scale=args.scale,
        det_interval=args.det_interval,
        smoothing=args.smoothing,
        strength=args.strength,
        rules=RuleSet.load(args.rules) if args.rules else None,
        det_threshold=args.det_threshold,
        focus=args.focus,
        enhance=args.enhance,
    )


def cmd_video(args: argparse.Namespace, model_from_args: ModelFromArgs) -> int:
    out = args.out or (None if args.json or args.csv or args.gif else f"{Path(args.input).stem}_pose.mp4")
    try:
        options = _options(args)
        info = check_video(args.input, options.max_duration_s)  # before the slow model loading
        with tempfile.TemporaryDirectory() as tmp, tqdm(desc="frames", unit="frame") as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            video = out or (Path(tmp) / "preview.mp4" if args.gif else None)
            run = process_video(model_from_args(args), info, video, options, progress)
            if args.gif:
                write_gif(video, args.gif)
    except (VideoInputError, RuleError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.json:
        write_json(run, args.json)
    if args.csv:
        write_csv(run, args.csv)
    written = [str(f) for f in (out, args.json, args.csv, args.gif) if f]
    print(
        f"{len(run.frames)} frames ({run.size[0]}x{run.size[1]} at {float(run.rate):.2f} fps) in "
        f"{run.seconds:.1f} s ({run.fps:.1f} frames/s), {len(run.track_ids)} tracks -> {', '.join(written)}"
    )
    return 0


def trajectory(
    frames: list[list[Person]], track_id: int, score_thr: float = 0.3
) -> tuple[np.ndarray, np.ndarray]:
    """(T, 17, 2) keypoint positions of one track (NaN where absent or below ``score_thr``), (T,) box
    heights (NaN where absent)."""
    xy = np.full((len(frames), 17, 2), np.nan)
    heights = np.full(len(frames), np.nan)
    for t, persons in enumerate(frames):
        for p in persons:
            if p.track_id == track_id:
                xy[t] = np.where(p.keypoints[:, 2:] >= score_thr, p.keypoints[:, :2], np.nan)
                heights[t] = p.box.height
    return xy, heights


def smoothing_comparison(raw: VideoRun, strength: float) -> dict[str, dict[str, float]]:
    """Jitter (on still phases) and lag (on moving phases, frames) of the longest track's keypoints:
    raw, each of our filters at ``strength``, and PaddleDetection's KeypointSmoothing defaults.

    ``raw`` is a run without smoothing; the filters are applied to its persons as a PoseStream would.
    """
    frames = [f.persons for f in raw.frames]
    tracks = raw.track_ids
    if not tracks:
        return {}
    times = [f.time for f in raw.frames]
    variants = {"raw": frames}
    for kind in ("oneeuro", "ema", "kalman"):
        smoother = make_smoother(kind, strength)
        variants[kind] = [smoother.apply(persons, t) for persons, t in zip(frames, times, strict=True)]
    baseline = PaddleKeypointSmoothing(raw.size)
    variants["paddle_baseline"] = [
        baseline.apply(persons, t) for persons, t in zip(frames, times, strict=True)
    ]
    track = tracks[0]
    raw_xy, heights = trajectory(frames, track)
    phases = still_phases(raw_xy, heights)
    table = {}
    for name, smoothed in variants.items():
        xy, _ = trajectory(smoothed, track)
        table[name] = {
            "jitter": _known(jitter(xy, heights, phases.still)),
            "lag_frames": _known(lag_frames(raw_xy, xy, phases.moving)),
        }
    return table


def _known(value: float) -> float | None:
    """The value, or None (JSON null) when it could not be measured (NaN)."""
    return None if np.isnan(value) else value


def _cpu_seconds() -> dict[str, float]:
    """CPU time used so far by this process, and by its finished child processes (ffmpeg)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"python": own.ru_utime + own.ru_stime, "ffmpeg": children.ru_utime + children.ru_stime}


def cmd_bench_video(args: argparse.Namespace, model_from_args: ModelFromArgs) -> int:
    try:
        options = _options(args)
        info = check_video(args.input, options.max_duration_s)
        model = model_from_args(args)
        raw = process_video(model, info, None, replace(options, smoothing="none", rules=None))
        model.timer.reset()
        model.timer.enabled = True
        before = _cpu_seconds()
        with tempfile.TemporaryDirectory() as tmp:
            run = process_video(model, info, Path(tmp) / "out.mp4", options)
        cpu = {k: v - before[k] for k, v in _cpu_seconds().items()}
        model.timer.enabled = False
    except (VideoInputError, RuleError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    n = len(run.frames)
    table = smoothing_comparison(raw, args.strength)
    report = {
        "video": run.to_dict(),
        "models": list(model.names),
        "det_interval": args.det_interval,
        "smoothing": args.smoothing,
        "strength": args.strength,
        "load_average": round(os.getloadavg()[0], 2),
        "frames": n,
        "seconds": round(run.seconds, 3),
        "fps": round(run.fps, 2),
        "cpu_ms_per_frame": {k: round(v * 1000 / n, 2) for k, v in cpu.items()},
        "stage_ms": {k: round(v, 3) for k, v in run.stage_ms.items()},
        "model_ms": {k: round(v / n, 3) for k, v in model.timer.totals.items()},
        "jitter_lag": table,
    }
    print(json.dumps(report, indent=1))
    cpu_ms = report["cpu_ms_per_frame"]
    print(
        f"{n} frames {run.size[0]}x{run.size[1]}, det_interval {args.det_interval}: "
        f"{run.fps:.1f} frames/s end to end (decode -> encode) at load {report['load_average']}; "
        "CPU time per frame: "
        f"{cpu_ms['python']} ms in Python + {cpu_ms['ffmpeg']} ms in ffmpeg"
    )
    if table:
        raw_jitter = table["raw"]["jitter"]
        print(f"{'':16} {'jitter':>8} {'vs raw':>7} {'lag':>6}")
        for name, row in table.items():
            jit, lag = row["jitter"], row["lag_frames"]
            compared = name != "raw" and jit is not None and raw_jitter
            change = f"{jit / raw_jitter - 1:+7.0%}" if compared else ""
            print(
                f"{name:16} {'n/a' if jit is None else f'{jit * 1000:.3f}':>8} {change:>7} "
                f"{'n/a' if lag is None else f'{lag:.2f}':>6}"
            )
        print(
            "jitter: 1e-3 box heights / frame^2 on still phases; lag: frames behind raw on moving phases "
            "(n/a: no such phases in this clip)"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1), encoding="utf-8")
    return 0
