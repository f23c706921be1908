"""``compare``: a reference and an athlete (two videos or two photos) -> similarity score, alignment,
differences, timing; optionally the side-by-side video (or picture) and a plot of one angle."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import cv2

from pose_demo.analysis import AnalysisOptions
from pose_demo.cli.argtypes import positive
from pose_demo.cli.common import add_model_args, model_from_args
from pose_demo.compare import CompareError, compare_motions
from pose_demo.compare.compare import PHOTO_SUFFIXES, is_photo, motion_of, summary_lines
from pose_demo.compare.features import REPORTED
from pose_demo.compare.render import angle_figure, save_figure, side_by_side_picture, write_side_by_side
from pose_demo.compare.report import TOLERANCE_DEG
from pose_demo.timing import StageTimer
from pose_demo.video import VideoOptions, check_video


def register(subparsers: Any) -> None:  # argparse's private _SubParsersAction
    p = subparsers.add_parser(
        "compare",
        help="an athlete against a reference (two videos or two photos): score, differences, timing",
        description="Both are analysed (main person; clips smoothed), aligned in time and compared. "
        "Photos are told from videos by their suffix.",
    )
    p.add_argument("reference", help="the reference video or photo (the model movement)")
    p.add_argument("athlete", help="the athlete's video or photo")
    p.add_argument("--json", help="score, alignment, differences and timing as JSON")
    p.add_argument(
        "--out", help="the side-by-side H.264 video (.mp4); for two photos, the side-by-side picture (.jpg)"
    )
    p.add_argument(
        "--overlay", action="store_true", help="draw the reference skeleton, scaled, on the athlete's frame"
    )
    p.add_argument("--plot", help="one angle over time for both, as a PNG")
    p.add_argument(
        "--angle", choices=REPORTED, help="the angle plotted (default: the reference's most-moving)"
    )
    p.add_argument(
        "--mirror", action="store_true", help="the athlete is filmed mirrored: swap left and right"
    )
    p.add_argument(
        "--tolerance", type=positive(float), default=TOLERANCE_DEG, help="degrees of difference not reported"
    )
    p.add_argument("--scale", type=positive(float), default=1.0, help="scale the frames by this factor")
    p.add_argument("--max-duration", type=positive(float), default=600.0, help="refuse longer videos (s)")
    p.add_argument("--timings", action="store_true", help="print the seconds each stage took")
    add_model_args(p)
    p.set_defaults(func=cmd_compare, threads=1)


def cmd_compare(args: argparse.Namespace) -> int:
    photos = [is_photo(path) for path in (args.reference, args.athlete)]
    if photos[0] != photos[1]:
        raise CompareError("error.compare.mixed")
    photo = photos[0]
    if args.out and photo and Path(args.out).suffix.lower() not in PHOTO_SUFFIXES:
        raise CompareError("error.compare.photo_out")
    if not photo:
        for path in (args.reference, args.athlete):  # before the slow model loading
            check_video(path, args.max_duration)
    options = VideoOptions(
        AnalysisOptions(focus="largest"), max_duration_s=args.max_duration, output_scale=args.scale
    )
    timer = StageTimer(enabled=True)
    with timer.stage("load models"):
        model = model_from_args(args)
    reference = motion_of(model, args.reference, "reference", options, timer=timer)
    athlete = motion_of(model, args.athlete, "athlete", options, timer=timer)
    cpu = time.thread_time()
    with timer.stage("compare"):
        comparison = compare_motions(reference, athlete, args.mirror, args.tolerance)
    timer.totals["compare_cpu"] += (time.thread_time() - cpu) * 1000
    if args.json:
        Path(args.json).write_text(json.dumps(comparison.to_dict()), encoding="utf-8")
    if args.out and photo:
        with timer.stage("render"):
            cv2.imwrite(args.out, side_by_side_picture(comparison, args.overlay, args.lang))
    elif args.out:
        start = time.perf_counter()
        render = write_side_by_side(comparison, args.out, args.overlay, language=args.lang)
        timer.totals["render (all)"] += (time.perf_counter() - start) * 1000
        for stage, seconds in render.to_dict().items():
            timer.totals[f"  {stage}"] += seconds * 1000
    if args.plot:
        with timer.stage("plot"):
            save_figure(angle_figure(comparison, args.angle, args.lang), args.plot)
    print("\n".join(summary_lines(comparison, args.lang)))
    if args.timings:
        print("timings (s): " + ", ".join(f"{k.strip()} {v / 1000:.2f}" for k, v in timer.totals.items()))
    return 0
