"""``compare``: a reference clip and an athlete's clip -> similarity score, alignment, differences, timing."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from pose_demo.analysis import AnalysisOptions
from pose_demo.cli.argtypes import positive
from pose_demo.cli.common import add_model_args, model_from_args
from pose_demo.compare import compare_videos
from pose_demo.compare.report import TOLERANCE_DEG
from pose_demo.video import VideoOptions, check_video


def register(subparsers: Any) -> None:  # argparse's private _SubParsersAction
    p = subparsers.add_parser(
        "compare",
        help="an athlete's clip against a reference clip: score, aligned differences, timing",
        description="Both clips are analysed (main person, smoothing on), aligned in time and compared.",
    )
    p.add_argument("reference", help="the reference video (the model movement)")
    p.add_argument("athlete", help="the athlete's video")
    p.add_argument("--json", help="score, alignment, differences and timing as JSON")
    p.add_argument(
        "--mirror", action="store_true", help="the athlete is filmed mirrored: swap left and right"
    )
    p.add_argument(
        "--tolerance", type=positive(float), default=TOLERANCE_DEG, help="degrees of difference not reported"
    )
    p.add_argument("--scale", type=positive(float), default=1.0, help="scale the frames by this factor")
    p.add_argument("--max-duration", type=positive(float), default=600.0, help="refuse longer videos (s)")
    add_model_args(p)
    p.set_defaults(func=cmd_compare, threads=1)


def cmd_compare(args: argparse.Namespace) -> int:
    for path in (args.reference, args.athlete):  # before the slow model loading
        check_video(path, args.max_duration)
    options = VideoOptions(
        AnalysisOptions(focus="largest"), max_duration_s=args.max_duration, output_scale=args.scale
    )
    comparison = compare_videos(
        model_from_args(args), args.reference, args.athlete, options, args.mirror, args.tolerance
    )
    if args.json:
        Path(args.json).write_text(json.dumps(comparison.to_dict()), encoding="utf-8")
    timing = comparison.timing
    print(f"score: {comparison.score:.1f} / 100")
    print(f"tempo: the athlete takes {timing['tempo_ratio']:.2f}x the reference's time ({timing['pace']})")
    for d in comparison.differences:
        print(f"- {d.text}")
    if not comparison.differences:
        print(f"no joint angle differs by more than {args.tolerance:g}°")
    return 0
