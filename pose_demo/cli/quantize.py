"""``quantize``: INT8 variants of the models (NNCF), each kept only when it passes its check against the
f32 model; the work is in ``pose_demo.quantize``."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from pose_demo.cli.argtypes import fraction, non_negative, positive
from pose_demo.image_input import ImageInputError, load_image
from pose_demo.models.store import DEFAULT_DOWNLOAD_DIR, resolve_model
from pose_demo.quantize import (
    DEFAULT_MODELS,
    DEFAULT_SETTINGS,
    CheckBars,
    QuantizeError,
    QuantizeSettings,
    load_nncf,
    model_kind,
    quantize_model,
)

HOW = (
    "Calibration: the app's example images (or --images); a keypoint model is calibrated on the person "
    "crops the f32 PicoDet-320 finds in them. Check: with --ann, AP may drop at most --max-ap-drop; "
    "otherwise INT8 and f32 must agree on the calibration images (persons matched by box IoU >= 0.9, "
    "keypoint OKS >= --min-oks). Variants that pass are kept as <cache>/<name>_int8/ with quantization.json."
)


def register(subparsers: Any) -> None:  # argparse's private _SubParsersAction
    p = subparsers.add_parser(
        "quantize", help="INT8 variants of the models, checked against f32", description=HOW
    )
    p.add_argument(
        "--models", nargs="+", default=list(DEFAULT_MODELS), help="registry names or model folders"
    )
    p.add_argument("--images", help="folder of calibration images (default: the app's example images)")
    p.add_argument("--subset", type=positive(int), help="use only the first N calibration images")
    p.add_argument("--ann", help="COCO person_keypoints json: check AP on it instead of agreement")
    p.add_argument("--ann-images", help="folder of the annotated images (default: images/ beside --ann)")
    p.add_argument(
        "--max-ap-drop", type=fraction, default=CheckBars.ap_drop, help="with --ann (default 0.01)"
    )
    p.add_argument("--min-oks", type=fraction, default=CheckBars.oks, help="keypoint agreement bar")
    p.add_argument("--min-matched", type=fraction, default=CheckBars.matched, help="detector agreement bar")
    p.add_argument("--mixed", action="store_true", help="NNCF preset MIXED (default: the model kind's)")
    p.add_argument("--plain", action="store_true", help="start from NNCF's defaults, not the kind's settings")
    p.add_argument("--keep-first", type=non_negative, help="first convolutions kept in f32")
    p.add_argument("--keep-last", type=non_negative, help="last convolutions kept in f32")
    p.add_argument("--keep-type", action="append", help="an operation type kept in f32 (repeatable)")
    p.add_argument("--time", type=non_negative, default=100, help="time f32 vs INT8 over N calls (0: no)")
    p.add_argument("--model-dir", help="folder of model folders (default: $POSE_DEMO_MODEL_DIR)")
    p.add_argument("--cache", default=str(DEFAULT_DOWNLOAD_DIR), help="model cache the variants go to")
    p.add_argument("--json", help="write the reports here")
    p.set_defaults(func=cmd_quantize)


def calibration_images(folder: str | None, subset: int | None) -> tuple[list[np.ndarray], str]:
    """The decoded calibration images and how to name them in the report."""
    from pose_demo.cli.images import image_paths

    if folder:
        paths, source = image_paths([folder]), str(folder)
    else:
        from pose_demo.app.examples import resolve_examples

        paths, source = [path for _, path in resolve_examples("image")], "the app's example images"
    images = []
    for path in paths[:subset]:
        try:
            images.append(load_image(path))
        except ImageInputError as e:
            print(f"skipped {path.name}: {e}", file=sys.stderr)
    if not images:
        raise QuantizeError("error.model.no_calibration_images_in", source=source)
    return images, f"{source} ({len(images)} images)"


def _settings(args: argparse.Namespace, kind: str) -> QuantizeSettings:
    settings = QuantizeSettings() if args.plain else DEFAULT_SETTINGS[kind]
    if args.mixed:
        settings = replace(settings, preset="mixed")
    for name in ("keep_first", "keep_last"):
        if getattr(args, name) is not None:
            settings = replace(settings, **{name: getattr(args, name)})
    if args.keep_type:
        settings = replace(settings, keep_types=tuple(args.keep_type))
    return settings


def cmd_quantize(args: argparse.Namespace) -> int:
    load_nncf()  # says how to install it before any work
    images, source = calibration_images(args.images, args.subset)
    ann = None
    if args.ann:
        ann = (args.ann, args.ann_images or str(Path(args.ann).parent / "images"))
    bars = CheckBars(oks=args.min_oks, matched=args.min_matched, ap_drop=args.max_ap_drop)
    reports, refused = [], 0
    for name in args.models:
        kind = model_kind(resolve_model(name, model_dir=args.model_dir, download_dir=args.cache))
        print(f"{name}: quantizing ({kind}, calibrated on {source}) ...", file=sys.stderr)
        report = quantize_model(
            name,
            images,
            calibration=source,
            ann=ann,
            cache_dir=args.cache,
            model_dir=args.model_dir,
            settings=_settings(args, kind),
            bars=bars,
            timing_repeat=args.time,
        )
        reports.append(report.details)
        figures = ", ".join(f"{k} {v}" for k, v in report.check.figures.items())
        timing = report.details.get("timing")
        speed = f"; {timing['f32_ms']} -> {timing['int8_ms']} ms per call" if timing else ""
        if report.kept:
            print(f"{report.variant}: kept ({figures}{speed})")
        else:
            refused += 1
            print(f"{report.variant}: NOT kept: {report.check.reason} ({figures}{speed})")
    if args.json:
        Path(args.json).write_text(json.dumps(reports, indent=1), encoding="utf-8")
    return 1 if refused else 0
