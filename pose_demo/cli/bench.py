"""``bench`` (one image, per stage, optionally against the PaddleDetection-style baseline),
``bench-video`` (throughput per stage, keypoint jitter and lag), ``bench-webcam`` (frames/s and latency
in a browser) and ``bench-compare`` (comparing two clips, beyond encoding); the work is in
``pose_demo.bench``."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from pose_demo.analysis import AnalysisOptions
from pose_demo.bench.compare import bench_compare
from pose_demo.bench.draw import bench_draw
from pose_demo.bench.image import bench_image, load_baseline
from pose_demo.bench.keypoints import bench_keypoints
from pose_demo.bench.served import served_app
from pose_demo.bench.video import ROUNDS, bench_video
from pose_demo.bench.webcam import coded_camera, measure
from pose_demo.cli.argtypes import non_negative, positive
from pose_demo.cli.common import (
    add_det_threshold,
    add_model_args,
    add_runtime_args,
    add_video_args,
    model_from_args,
    runtime_options,
    video_options_from_args,
)
from pose_demo.cli.video import THREADS
from pose_demo.models.registry import base_model
from pose_demo.models.runtime import APP_DEVICES, APP_RUNTIMES, RuntimeOptions
from pose_demo.pose_estimation.orientation import TurnOptions
from pose_demo.predictor import UniModel
from pose_demo.video import VideoOptions, check_video


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
    path = p.add_mutually_exclusive_group()
    path.add_argument(
        "--sequential",
        action="store_true",
        help="one frame at a time (the models of one frame, then the next)",
    )
    path.add_argument(
        "--compare-sequential",
        action="store_true",
        help=f"also run one frame at a time, alternating with the pipelined path ({ROUNDS} runs each), "
        "and give the ratio of frames/s",
    )
    add_video_args(p)
    add_model_args(p)
    p.set_defaults(func=cmd_bench_video, threads=1)

    p = subparsers.add_parser(
        "bench-webcam",
        help="frames/s and latency a webcam user gets: the app in Chromium with a video as its camera",
        description=WEBCAM_HOW,
    )
    p.add_argument(
        "video", help="the clip the fake camera plays (looped; scaled and padded to --size), or a photo, held"
    )
    p.add_argument(
        "--client",
        choices=("browser", "socket"),
        default="browser",
        help="browser: the app in Chromium, from camera to screen (default); socket: the app's live webcam "
        "in this process, fed by a client doing what the page does, with no browser (its server side only)",
    )
    p.add_argument("--url", help="browser: an app already running (default: start python demo_app.py here)")
    add_runtime_args(p, APP_RUNTIMES, devices=APP_DEVICES)
    p.add_argument("--size", default="640x480", help="camera frame size WxH (default 640x480)")
    p.add_argument("--fps", type=positive(int), default=15, help="camera frames per second (default 15)")
    p.add_argument("--sessions", type=positive(int), default=1, help="pages streaming at once")
    p.add_argument("--seconds", type=positive(float), default=30.0, help="measured time (default 30)")
    p.add_argument("--warmup", type=non_negative, default=5.0, help="seconds before measuring (default 5)")
    p.add_argument("--exercise", help="count this exercise's repetitions (an id of the Exercise setting)")
    p.add_argument("--json", help="write the figures here")
    p.set_defaults(func=cmd_bench_webcam)

    p = subparsers.add_parser(
        "bench-compare",
        help="seconds to compare two clips: alignment and side-by-side video once analysed (with and "
        "without encoding), and from scratch against the Video tab's work",
    )
    p.add_argument("reference", help="the reference clip")
    p.add_argument("athlete", help="the athlete's clip")
    p.add_argument("--mirror", action="store_true", help="the athlete is filmed mirrored")
    p.add_argument("--rounds", type=positive(int), default=3, help="alternated rounds (default 3)")
    p.add_argument("--no-video-tab", action="store_true", help="skip the Video tab's work (from scratch)")
    p.add_argument("--json", help="write the figures here")
    add_model_args(p)
    p.set_defaults(func=cmd_bench_compare)

    p = subparsers.add_parser(
        "bench-keypoints",
        help="issue 28's figures before and after: COCO AP, joint angles at the floor clips' turning points, "
        "bone-length variation, the squat clip's speed",
    )
    p.add_argument(
        "--data",
        default=os.environ.get("POSE_DEMO_DATA_DIR", "../shared/data"),
        help="the shared data folder: coco_subset/, videos/ (default: $POSE_DEMO_DATA_DIR or ../shared/data)",
    )
    p.add_argument(
        "--turned", action="store_true", help="also the floor clips with turned crops, both models"
    )
    p.add_argument("--model-dir", help="folder of model folders (default: $POSE_DEMO_MODEL_DIR)")
    p.add_argument("--json", help="write the figures here")
    p.set_defaults(func=cmd_bench_keypoints)

    p = subparsers.add_parser(
        "bench-draw", help="ms per frame that labels add to drawing (1280x720, 3 persons, each language)"
    )
    p.add_argument("--frames", type=positive(int), default=300, help="timed frames (default 300)")
    p.add_argument("--rules", help="comma-separated rule ids, or all (default: the app's default rules)")
    p.add_argument("--json", help="write the figures here")
    p.set_defaults(func=cmd_bench_draw)


WEBCAM_HOW = (
    "Each camera frame carries its index as a binary code in its top-left corner; the page reads it back "
    "from each camera frame shown and each annotated frame displayed: frames/s shown, frames dropped, and "
    "latency = displayed minus shown by the camera. Needs Playwright (requirements-dev.txt) and Chromium."
)


def _save(report: dict[str, Any], path: str | None) -> None:
    print(json.dumps(report, indent=1))
    if path:
        Path(path).write_text(json.dumps(report, indent=1), encoding="utf-8")


def cmd_bench(args: argparse.Namespace) -> int:
    model = model_from_args(args)
    baseline = None
    baseline_models = [base_model(name) for name in model.names]  # the baseline runs the f32 models
    if args.baseline:
        baseline = load_baseline(*baseline_models, runtime_options(args), args.det_threshold, args.model_dir)
    figures = bench_image(
        model, Path(args.image).read_bytes(), args.repeat, args.warmup, args.det_threshold, baseline
    )
    report = {
        "image": str(args.image),
        "preset": args.preset,
        "models": list(model.names),
        **({"baseline_models": baseline_models} if baseline is not None else {}),
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


def cmd_bench_compare(args: argparse.Namespace) -> int:
    options = VideoOptions(AnalysisOptions(focus="largest"))  # as the compare command and the Compare tab
    for path in (args.reference, args.athlete):
        check_video(path, options.max_duration_s)
    report = bench_compare(
        model_from_args(args),
        Path(args.reference),
        Path(args.athlete),
        options,
        args.mirror,
        args.rounds,
        not args.no_video_tab,
    )
    _save(report, args.json)
    analysed, scratch = report["analysed_s"], report["from_scratch_s"]
    print(
        f"{report['frames']} athlete frames, once analysed (median of {report['rounds']}): alignment and "
        f"side-by-side frames {analysed['align_and_render_beyond_encoding']['median']:.2f} s beyond "
        f"encoding; with H.264 {analysed['align']['median'] + analysed['render']['median']:.2f} s"
    )
    if "ratio" in scratch:
        print(
            f"from scratch: analysing both {scratch['analyse_both']:.1f} s, the Video tab's work on both "
            f"{scratch['video_tab_both']:.1f} s ({scratch['ratio']:.2f}x)"
        )
    print(f"CPU: {report['cpu'].get('model', '?')} ({', '.join(report['cpu'].get('flags', []))})")
    return 0


def cmd_bench_video(args: argparse.Namespace) -> int:
    options = video_options_from_args(args)
    if args.sequential:
        options = replace(options, frames_in_flight=1)
    info = check_video(args.input, options.max_duration_s)
    model = model_from_args(args, streams=options.frames_in_flight)  # a stream per frame in flight
    report = bench_video(model, info, options, model_from_args(args) if args.compare_sequential else None)
    _save(report, args.json)
    for figures in [report, report.get("sequential")]:
        if figures is None:
            continue
        cpu_ms, size = figures["cpu_ms_per_frame"], figures["video"]["processed"]
        print(
            f"{figures['path']} ({figures['frames_in_flight']} in flight): {figures['frames']} frames "
            f"{size['width']}x{size['height']}, det_interval {report['det_interval']}: "
            f"{figures['fps']:.1f} frames/s end to end (decode -> encode) at load {figures['load_average']}; "
            f"CPU time per frame: {cpu_ms['python']} ms in Python + {cpu_ms['ffmpeg']} ms in ffmpeg"
        )
    variation = ", ".join(f"person {k}: {v:.3f}" for k, v in report["bone_variation"].items())
    print(f"bone-length variation (coefficient of variation, median over limb bones): {variation or 'n/a'}")
    if "speedup" in report:
        print(f"pipelined / sequential frames/s, same run: {report['speedup']:.2f}x")
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


def cmd_bench_keypoints(args: argparse.Namespace) -> int:
    loaded: dict[tuple[str, bool], UniModel] = {}

    def load(keypoints: str, turned: bool) -> UniModel:
        """A model of the default detector, one inference thread and a stream per frame in flight (as the
        video command runs)."""
        if (keypoints, turned) not in loaded:
            turn = TurnOptions() if turned else None
            model = UniModel(kp_model=keypoints, model_dir=args.model_dir, threads=1, streams=2, turn=turn)
            loaded[keypoints, turned] = model
        return loaded[keypoints, turned]

    report = bench_keypoints(load, Path(args.data), args.turned)
    _save(report, args.json)
    ap = report["ap"]
    print(f"{'AP':24} {'GT boxes':>9} {'pipeline':>9}")
    for name, row in ap.items():
        print(f"{name:24} {row['gt_boxes']:9.3f} {row['pipeline']:9.3f}")
    for clip, figures in report["clips"].items():
        for name, row in figures.items():
            if isinstance(row, dict):
                print(
                    f"{clip} {name} ({row['keypoints']}): {row['plausible']} of {row['reps']} plausible "
                    f"{row['angles']}; bone variation {row['bone_variation']}"
                )
        print(f"  {figures['after_model']}")
    fast = report["speed"]
    print(
        f"{fast['clip']} end to end: {fast['fps']['before']} frames/s before, {fast['fps']['after']} after "
        f"({fast['keypoints']['after']}): after / before {fast['after_over_before']:.2f}, "
        f"{fast['real_time']['after']:.2f}x real time; the budget: {fast['budget_picks']}"
    )
    print(
        f"CPU: {report['cpu'].get('model', '?')}; load average {report['load_average_start']} -> "
        f"{report['load_average_end']}"
    )
    return 0


def cmd_bench_webcam(args: argparse.Namespace) -> int:
    width, _, height = args.size.partition("x")
    if not (width.isdigit() and height.isdigit()):
        raise SystemExit(f"--size: expected WxH such as 640x480, got {args.size!r}")
    size = (int(width), int(height))
    if args.client == "socket":
        from pose_demo.bench.live_socket import bench_socket  # the app's live webcam (imports Gradio)

        sessions = bench_socket(
            Path(args.video),
            runs_on=RuntimeOptions(args.runtime, args.device),
            size=size,
            fps=args.fps,
            sessions=args.sessions,
            warmup_s=args.warmup,
            seconds=args.seconds,
            settings={} if args.exercise is None else {"exercise": args.exercise},
        )
    else:
        with tempfile.TemporaryDirectory() as tmp:
            camera = coded_camera(Path(args.video), Path(tmp) / "camera.y4m", size=size, fps=args.fps)
            runs_on = {"POSE_DEMO_RUNTIME": args.runtime, "POSE_DEMO_DEVICE": args.device}
            with contextlib.ExitStack() as stack:
                url = args.url or stack.enter_context(served_app(Path(tmp), runs_on))
                sessions = measure(
                    url,
                    camera,
                    sessions=args.sessions,
                    warmup_s=args.warmup,
                    seconds=args.seconds,
                    exercise=args.exercise,
                )
    report = {
        "client": args.client,
        "runs_on": {"runtime": args.runtime, "device": args.device},
        "camera": {"video": str(args.video), "size": args.size, "fps": args.fps},
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "sessions": [s.to_dict() for s in sessions],
    }
    _save(report, args.json)
    for i, s in enumerate(sessions, 1):
        latency = s.to_dict()["latency_ms"]
        print(
            f"session {i}: {s.fps:.1f} frames/s shown, {s.dropped} of {s.camera_frames} camera frames "
            f"dropped, latency median {latency['median']} ms, p95 {latency['p95']} ms"
        )
        if s.app_figures:
            print(f"  the app's figures: {' '.join(s.app_figures.split())}")
    return 0


def cmd_bench_draw(args: argparse.Namespace) -> int:
    from pose_demo.app.settings import DEFAULT_RULES  # the app's (imports Gradio)

    rules = DEFAULT_RULES if args.rules is None else None if args.rules == "all" else args.rules.split(",")
    report = bench_draw(args.frames, rule_ids=rules)
    _save(report, args.json)
    for language, figures in report["languages"].items():
        print(
            f"{language}: {report['labels_per_frame']} labels take {figures['labels_ms']} ms of the "
            f"{figures['draw_ms']} ms drawing a frame ({figures['bare_ms']} ms without labels)"
        )
    return 0
