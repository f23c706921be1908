"""Command line: ``python -m pose_demo.cli {infer,evaluate,rules,video,reps,compare,learn,batch,bench,
bench-video,quantize} ...`` (``--help`` on each). One module per command group; the shared flags are in
``common``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pose_demo.batch import BatchInputError
from pose_demo.checks import OptionError
from pose_demo.cli import batch, bench, compare, images, learn, quantize, reps, rules, video
from pose_demo.compare import CompareError
from pose_demo.image_input import ImageInputError
from pose_demo.learn.classifier import LearnError
from pose_demo.models.runtime import ModelRunError
from pose_demo.models.store import ModelStoreError
from pose_demo.rules import RuleError
from pose_demo.video import VideoInputError

# Errors whose message is written for the user: printed as one line, exit status 2, no traceback
# (RuleError covers exercise files: ExerciseError is one).
USER_ERRORS = (
    ModelStoreError,
    ModelRunError,
    ImageInputError,
    VideoInputError,
    RuleError,
    OptionError,
    CompareError,
    BatchInputError,
    LearnError,
    FileNotFoundError,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pose_demo.cli", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for group in (images, rules, video, reps, compare, learn, batch, bench, quantize):
        group.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except USER_ERRORS as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
