"""``batch``: images and videos (files, folders, globs, list files) -> per-input JSON (as ``infer`` and
``video`` write it), one Parquet keypoint table, a resumable manifest; in this process or on Ray."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from pose_demo.batch import ENGINES, BatchInputError, BatchSettings, ModelChoice, expand_inputs, run_batch
from pose_demo.checks import OptionError
from pose_demo.cli.argtypes import fraction, positive
from pose_demo.cli.common import add_model_args, add_video_args, model_names, video_options_from_args
from pose_demo.i18n import translate
from pose_demo.models.runtime import DEFAULT_COMPILE_CACHE
from pose_demo.results import MIN_KEYPOINT_SCORE

HELP = "images and videos -> JSON per input, a Parquet keypoint table, a manifest; resumable; local or Ray"
DESCRIPTION = (
    "Running the same command again skips the inputs already done with the same settings and models and "
    "redoes the failed ones. See docs/batch.md."
)


def register(subparsers: Any) -> None:  # argparse's private _SubParsersAction
    p = subparsers.add_parser("batch", help=HELP, description=DESCRIPTION)
    p.add_argument("inputs", nargs="+", help="files, folders (recursive), globs, or .txt files listing paths")
    p.add_argument("--out", required=True, help="output folder (results/, table/, manifest.jsonl)")
    p.add_argument("--engine", choices=ENGINES, default="local", help="this process, or Ray actors")
    p.add_argument("--ray-address", help="an existing Ray cluster (default: start a local one)")
    p.add_argument("--workers", type=positive(int), help="Ray actors (default: one per CPU)")
    p.add_argument("--render", action="store_true", help="write annotated images and videos too")
    p.add_argument(
        "--kp-threshold", type=fraction, default=MIN_KEYPOINT_SCORE, help="hide joints below this score"
    )
    add_video_args(p)
    add_model_args(p)
    p.set_defaults(func=cmd_batch)


def settings_from_args(args: argparse.Namespace) -> BatchSettings:
    det_model, kp_model = model_names(args)
    models = ModelChoice(
        det_model, kp_model, args.model_dir, args.runtime, args.device, args.precision, args.threads
    )
    video = video_options_from_args(args)  # labels drawn in --lang
    video = replace(video, draw=replace(video.draw, keypoint_threshold=args.kp_threshold))
    return BatchSettings(models, video, args.render)


def cmd_batch(args: argparse.Namespace) -> int:
    if args.engine == "local" and (args.ray_address or args.workers):
        raise OptionError("error.option.ray_flags_local")
    if args.engine == "ray" and importlib.util.find_spec("ray") is None:
        raise OptionError("error.option.ray_missing")
    items = expand_inputs(args.inputs)
    if not items:
        raise BatchInputError("error.batch.no_inputs")
    out = Path(args.out)
    # the start-up is the slow part of a first run: say what it is doing while it does it
    starting = translate("cli.batch.starting", args.lang, engine=args.engine, cache=DEFAULT_COMPILE_CACHE)
    print(starting, file=sys.stderr, flush=True)
    summary = run_batch(items, settings_from_args(args), out, args.engine, args.workers, args.ray_address)
    print(f"{summary.line()} -> {out}")
    return 1 if summary.failed else 0
