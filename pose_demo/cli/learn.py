"""``learn train`` and ``learn eval``: a posture classifier from labelled photos or video time ranges."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from pose_demo.analysis import AnalysisOptions
from pose_demo.classifier.model import LearnError
from pose_demo.cli.argtypes import fraction, positive
from pose_demo.cli.common import add_det_threshold, add_model_args, model_from_args
from pose_demo.i18n import translate
from pose_demo.learn.examples import (
    ExampleSet,
    examples_from_folders,
    examples_from_video,
    read_labels,
)
from pose_demo.predictor import UniModel
from pose_demo.video import VideoOptions


def _add_sources(p: argparse.ArgumentParser) -> None:
    group = p.add_argument_group("examples (any number of each)")
    group.add_argument(
        "--folders",
        action="append",
        default=[],
        metavar="DIR",
        help="DIR/<class>/*.jpg: one folder per class",
    )
    group.add_argument("--video", action="append", default=[], help="a video; give its --labels after it")
    group.add_argument(
        "--labels", action="append", default=[], metavar="CSV", help="start,end,label rows (seconds)"
    )
    group.add_argument("--track", type=int, help="in videos, use this track id instead of the largest person")
    group.add_argument("--stride", type=positive(int), default=1, help="videos: use every n-th frame")
    group.add_argument("--scale", type=positive(float), default=1.0, help="videos: scale the frames by this")
    group.add_argument("--max-duration", type=positive(float), default=600.0, help="refuse longer videos (s)")
    add_det_threshold(group, None)
    add_model_args(p)


def register(subparsers: Any) -> None:  # argparse's private _SubParsersAction
    p = subparsers.add_parser("learn", help="teach a posture by example: train and evaluate a classifier")
    sub = p.add_subparsers(dest="learn_command", required=True)
    t = sub.add_parser(
        "train",
        help="train a classifier on labelled examples",
        description="Trains an XGBoost classifier on the main person's keypoint features; prints the "
        "cross-validated report. Use the model in a rule file (kind: classifier, see docs/rules.md).",
    )
    _add_sources(t)
    t.add_argument("--out", required=True, help="the classifier file to write (JSON)")
    t.add_argument("--json", help="write the training report as JSON")
    t.add_argument("--confusion", metavar="PNG", help="write the cross-validated confusion matrix picture")
    t.add_argument("--figure", metavar="PNG", help="write the confusion matrix and the features that matter")
    t.add_argument(
        "--mirror",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also learn from mirror images, so that a posture is recognised facing either way (default); "
        "--no-mirror for postures where left and right matter",
    )
    t.add_argument("--threshold", type=fraction, default=0.5, help="default probability to flag a class")
    t.add_argument("--folds", type=positive(int), default=5, help="cross-validation folds")
    t.set_defaults(func=cmd_train)
    e = sub.add_parser("eval", help="evaluate a classifier on labelled examples")
    e.add_argument("model", help="a classifier file written by learn train")
    _add_sources(e)
    e.add_argument("--json", help="write accuracy, per_class, confusion and labels as JSON")
    e.set_defaults(func=cmd_eval)


def keypoint_settings(model: UniModel, args: argparse.Namespace) -> dict[str, Any]:
    """The models and settings the keypoints come from (saved in the classifier file)."""
    return {
        "detector": Path(model.names[0]).name,
        "keypoints": Path(model.names[1]).name,
        "det_threshold": args.det_threshold,
        "main_person": "largest" if args.track is None else f"track {args.track}",
        "video": {"stride": args.stride, "scale": args.scale, "smoothing": AnalysisOptions().smoothing},
    }


def collect_examples(model: UniModel, args: argparse.Namespace) -> ExampleSet:
    if len(args.video) != len(args.labels):
        raise LearnError("error.learn.examples_per_video", videos=len(args.video), labels=len(args.labels))
    if not args.folders and not args.video:
        raise LearnError("error.learn.no_examples")
    ranges = [read_labels(path, path) for path in args.labels]  # checked before any slow work
    analysis = AnalysisOptions(det_threshold=args.det_threshold)
    examples = ExampleSet()
    for folder in args.folders:
        examples += examples_from_folders(model, folder, analysis)
    options = VideoOptions(
        analysis, max_duration_s=args.max_duration, frame_stride=args.stride, output_scale=args.scale
    )
    for video, labels in zip(args.video, ranges, strict=True):
        examples += examples_from_video(model, video, labels, options, args.track)
    return examples


def cmd_train(args: argparse.Namespace) -> int:
    from pose_demo.classifier.model_file import save_classifier
    from pose_demo.learn.report import confusion_png, report_figure, summary_text
    from pose_demo.learn.train import TrainOptions, train

    options = TrainOptions(mirror=args.mirror, threshold=args.threshold, folds=max(2, args.folds))
    model = model_from_args(args)
    classifier, report = train(collect_examples(model, args), options, keypoint_settings(model, args))
    save_classifier(classifier, args.out)
    if args.json:
        Path(args.json).write_text(json.dumps(report.to_dict(), indent=1), encoding="utf-8")
    language = args.lang
    if args.confusion and report.cross_validation is not None:
        confusion_png(report.cross_validation, args.confusion, language)
    if args.figure:
        report_figure(report, language).savefig(args.figure, dpi=100)
    print(summary_text(report, language))
    print(translate("cli.learn.written", args.lang, path=args.out))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from pose_demo.classifier.model_file import load_classifier
    from pose_demo.learn.report import evaluation_lines
    from pose_demo.learn.train import evaluate

    classifier = load_classifier(args.model)  # refused before any slow work
    evaluation = evaluate(classifier, collect_examples(model_from_args(args), args))
    if args.json:
        Path(args.json).write_text(json.dumps(evaluation.to_dict(), indent=1), encoding="utf-8")
    print("\n".join(evaluation_lines(evaluation, args.lang)))
    return 0
