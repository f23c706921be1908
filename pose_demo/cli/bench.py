"""``bench`` (one image, per stage, optionally against the PaddleDetection-style baseline) and
``bench-video`` (throughput per stage, keypoint jitter and lag); the work is in ``pose_demo.bench``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from pose_demo.bench.image import bench_image, load_baseline
from pose_demo.bench.video import bench_video
from pose_demo.cli.argtypes import non_negative, positive
from pose_demo.cli.common import (
    add_det_threshold,
    add_model_args,
    add_video_args,
    model_from_args,
    runtime_options,
    video_options_from_args,
)
from pose_demo.cli.video import THREADS
from pose_demo.video import check_video


def register(subparsers: Any) -> None:  # argparse's private _SubParsersAction
    p = subparsers.add_parser("bench", help="median time per stage on one image")
    p.add_argument("--image", required=True)
    p.add_argument("--repeat", type=positive(int), default=50)
    p.add_argument("--warmup", type=non_negative, default=5)
    add_det_threshold(p, 0.5)
    p.add_argument("--json", help="write the figures here")
    p.add_argument(
        "--baseline",
        action="store_true",
        help="also time PaddleDetection-style pre/post-processing on the same models, interleaved",
    )
    add_model_args(p)
    p.set_defaults(func=cmd_bench)

    p = subparsers.add_parser(
        "bench-video", help="video throughput per stage, and keypoint jitter / lag", description=THREADS
    )
    p.add_argument("input", help="video file")
    p.add_argument("--json", help="write the figures here")
    add_video_args(p)
    add_model_args(p)
    p.set_defaults(func=cmd_bench_video, threads=1)


def _save(report: dict[str, Any], path: str | None) -> None:
    print(json.dumps(report, indent=1))
    if path:
        Path(path).write_text(json.dumps(report, indent=1), encoding="utf-8")


def cmd_bench(args: argparse.Namespace) -> int:
    model = model_from_args(args)
    baseline = None
    if args.baseline:
        baseline = load_baseline(
            args.det_model, args.kp_model, runtime_options(args), args.det_threshold, args.model_dir
        )
    figures = bench_image(
        model, Path(args.image).read_bytes(), args.repeat, args.warmup, args.det_threshold, baseline
    )
    report = {
        "image": str(args.image),
        "models": [args.det_model, args.kp_model],
        "precision": args.precision,
        **figures,
    }
    _save(report, args.json)
    print(
        f"predict / model time: {report['predict_ms'] / report['model_ms']:.2f}x; "
        f"e2e / model time: {report['e2e_ms'] / report['model_ms']:.2f}x"
    )
    if baseline is not None:
        print(
            f"PaddleDetection-style baseline: {report['baseline_ms']:.1f} ms "
            f"(model {report['baseline_model_ms']:.1f} ms); predict is {report['speedup']:.2f}x faster"
        )
    return 0


def cmd_bench_video(args: argparse.Namespace) -> int:
    options = video_options_from_args(args)
    info = check_video(args.input, options.max_duration_s)
    report = bench_video(model_from_args(args), info, options)
    _save(report, args.json)
    cpu_ms, size = report["cpu_ms_per_frame"], report["video"]["processed"]
    print(
        f"{report['frames']} frames {size['width']}x{size['height']}, det_interval {report['det_interval']}: "
        f"{report['fps']:.1f} frames/s end to end (decode -> encode) at load {report['load_average']}; "
        f"CPU time per frame: {cpu_ms['python']} ms in Python + {cpu_ms['ffmpeg']} ms in ffmpeg"
    )
    table = report["jitter_lag"]
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
    return 0
