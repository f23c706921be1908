"""``infer`` (images and folders -> annotated images + JSON) and ``evaluate`` (COCO keypoint AP)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from tqdm import tqdm

from pose_demo.analysis import analyse_image
from pose_demo.cli.argtypes import fraction
from pose_demo.cli.common import (
    add_analysis_args,
    add_det_threshold,
    add_model_args,
    analysis_from_args,
    model_from_args,
)
from pose_demo.i18n import plural, translate
from pose_demo.image_input import ImageInputError, load_image
from pose_demo.overlap import WriteBehind, prefetch
from pose_demo.results import MIN_KEYPOINT_SCORE, FrameResult
from pose_demo.visualization.draw import DrawOptions, draw_result

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}


def register(subparsers: Any) -> None:  # argparse's private _SubParsersAction
    p = subparsers.add_parser("infer", help="images and folders -> annotated images + JSON")
    p.add_argument("paths", nargs="+", help="image files or folders")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument(
        "--kp-threshold", type=fraction, default=MIN_KEYPOINT_SCORE, help="hide joints below this score"
    )
    add_analysis_args(p, frames_in_time=False)
    add_model_args(p)
    p.set_defaults(func=cmd_infer)

    p = subparsers.add_parser("evaluate", help="COCO keypoint AP with pycocotools")
    p.add_argument("--ann", required=True, help="COCO person_keypoints json")
    p.add_argument("--images", required=True, help="folder of the annotated images")
    p.add_argument("--gt-boxes", action="store_true", help="use ground-truth person boxes")
    p.add_argument("--flip", action="store_true", help="flip test: average with mirrored heatmaps")
    add_det_threshold(p, 0.3)
    p.add_argument("--json", help="write {AP, AP50, AP75, AR} here")
    add_model_args(p)
    p.set_defaults(func=cmd_evaluate)


def image_paths(inputs: Iterable[str]) -> list[Path]:
    """Files as given, and the images inside given folders (sorted)."""
    paths: list[Path] = []
    for item in map(Path, inputs):
        if item.is_dir():
            paths += sorted(p for p in item.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
        else:
            paths.append(item)
    return paths


def _load(path: Path) -> np.ndarray | ImageInputError:
    """The decoded image, or why it could not be read (the folder goes on without it)."""
    try:
        return load_image(path)
    except ImageInputError as e:
        return e


def _write(jpg: Path, image: np.ndarray, result: FrameResult, options: DrawOptions, data: dict) -> None:
    """The annotated image, and the results as JSON beside it."""
    cv2.imwrite(str(jpg), draw_result(image, result, options))
    jpg.with_suffix(".json").write_text(json.dumps(data, indent=1), encoding="utf-8")


def cmd_infer(args: argparse.Namespace) -> int:
    """Decoding (next images) and drawing + writing (previous ones) overlap with inference."""
    paths = image_paths(args.paths)
    if not paths:
        print(translate("cli.infer.no_images", args.lang), file=sys.stderr)
        return 2
    options = analysis_from_args(args)
    model = model_from_args(args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    drawing = DrawOptions(keypoint_threshold=args.kp_threshold, language=args.lang)
    used: set[str] = set()
    failed: list[str] = []
    persons = 0
    with ThreadPoolExecutor(1) as reader, ThreadPoolExecutor(1) as writer:
        writing = WriteBehind(writer, 2)
        loaded = prefetch(((path, _load(path)) for path in paths), 2, reader)
        for path, image in tqdm(loaded, total=len(paths), desc="images", unit="img"):
            if isinstance(image, ImageInputError):
                tqdm.write(f"skipped {path}: {image.text(args.lang)}")
                failed.append(str(path))
                continue
            result = analyse_image(model, image, options)
            persons += len(result)
            name = path.stem
            while name in used:
                name += "_"
            used.add(name)
            payload = {"file": str(path), **result.to_dict()}
            writing.submit(_write, out / f"{name}.jpg", image, result, drawing, payload)
        writing.wait()
    done = translate(
        "cli.infer.summary",
        args.lang,
        images=plural("ui.count.image", len(paths) - len(failed), args.lang),
        persons=plural("ui.count.person", persons, args.lang),
        out=out,
    )
    print(done + (translate("cli.infer.failed", args.lang, count=len(failed)) if failed else ""))
    return 1 if failed else 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from pose_demo.evaluation import AnnotationError, evaluate

    model = model_from_args(args)
    bars: list[tqdm] = []  # made at the first image, once the annotation file has been checked

    def progress(done: int, total: int) -> None:
        if not bars:
            bars.append(tqdm(total=total, desc="images", unit="img"))
        bars[0].update(done - bars[0].n)

    try:
        stats = evaluate(model, args.ann, args.images, args.gt_boxes, args.flip, args.det_threshold, progress)
    except AnnotationError as e:
        print(f"error: {e.text(args.lang)}", file=sys.stderr)
        return 2
    finally:
        for bar in bars:
            bar.close()
    det_model, kp_model = model.names
    boxes = "ground-truth boxes" if args.gt_boxes else f"{det_model} @ {args.det_threshold}"
    print(f"{kp_model} with {boxes}{' + flip' if args.flip else ''}:")
    print("  " + "  ".join(f"{k} {v:.3f}" for k, v in stats.items()))
    if args.json:
        Path(args.json).write_text(json.dumps(stats, indent=1), encoding="utf-8")
    return 0
