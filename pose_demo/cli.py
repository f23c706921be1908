"""Command line: ``python -m pose_demo.cli {infer,evaluate,bench} ...`` (``--help`` on each)."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import deque
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from pose_demo.argtypes import count, fraction, positive
from pose_demo.bench_baseline import PaddleDetStylePipeline
from pose_demo.image_input import ImageInputError, load_image
from pose_demo.models.registry import DEFAULT_DETECTOR, DEFAULT_KEYPOINTS
from pose_demo.models.runtime import DEFAULT_COMPILE_CACHE, RuntimeOptions, load_runtime, usable_cache
from pose_demo.models.store import ModelStoreError, resolve_model
from pose_demo.results import FrameResult
from pose_demo.rules import RuleError, RuleSet, catalog_table
from pose_demo.solution import UniModel
from pose_demo.video.commands import add_video_commands
from pose_demo.video.pipeline import prefetch
from pose_demo.visualization.draw import DrawOptions, draw_result

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}


def add_model_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("models")
    group.add_argument("--det-model", default=DEFAULT_DETECTOR, help="detector name or folder")
    group.add_argument("--kp-model", default=DEFAULT_KEYPOINTS, help="keypoint model name or folder")
    group.add_argument("--model-dir", help="folder of model folders (default: $POSE_DEMO_MODEL_DIR)")
    group.add_argument("--runtime", choices=["openvino", "paddle"], default="openvino")
    group.add_argument("--device", default="cpu", help="cpu, or gpu with --runtime paddle")
    group.add_argument("--precision", choices=["f32", "bf16", "f16"], default="f32")
    group.add_argument("--threads", type=count, default=0, help="inference threads (0: runtime default)")


def model_from_args(args: argparse.Namespace) -> UniModel:
    return UniModel(
        det_model=args.det_model,
        kp_model=args.kp_model,
        runtime=args.runtime,
        device=args.device,
        precision=args.precision,
        threads=args.threads,
        model_dir=args.model_dir,
    )


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
        print("No images found in the given paths.", file=sys.stderr)
        return 2
    model = model_from_args(args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    options = DrawOptions(keypoint_threshold=args.kp_threshold)
    rules = RuleSet.load(args.rules) if args.rules else None
    used: set[str] = set()
    failed: list[str] = []
    persons = 0
    with ThreadPoolExecutor(1) as reader, ThreadPoolExecutor(1) as writer:
        writing: deque[Future[None]] = deque()
        loaded = prefetch(((path, _load(path)) for path in paths), 2, reader)
        for path, image in tqdm(loaded, total=len(paths), desc="images", unit="img"):
            if isinstance(image, ImageInputError):
                tqdm.write(f"skipped {path}: {image}")
                failed.append(str(path))
                continue
            result = model.predict(image, args.det_threshold)
            if rules is not None:
                for person in result.persons:
                    person.rules = rules.evaluate(person)
            persons += len(result)
            name = path.stem
            while name in used:
                name += "_"
            used.add(name)
            payload = {"file": str(path), **result.to_dict()}
            writing.append(writer.submit(_write, out / f"{name}.jpg", image, result, options, payload))
            if len(writing) > 2:
                writing.popleft().result()
        for job in writing:
            job.result()
    print(
        f"{len(paths) - len(failed)} images, {persons} persons -> {out}"
        + (f"; {len(failed)} failed" if failed else "")
    )
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
        print(f"error: {e}", file=sys.stderr)
        return 2
    finally:
        for bar in bars:
            bar.close()
    boxes = "ground-truth boxes" if args.gt_boxes else f"{args.det_model} @ {args.det_threshold}"
    print(f"{args.kp_model} with {boxes}{' + flip' if args.flip else ''}:")
    print("  " + "  ".join(f"{k} {v:.3f}" for k, v in stats.items()))
    if args.json:
        Path(args.json).write_text(json.dumps(stats, indent=1), encoding="utf-8")
    return 0


def cmd_rules_list(args: argparse.Namespace) -> int:
    print(catalog_table(args.catalog))
    return 0


def _median(samples: Sequence[float]) -> float:
    return round(statistics.median(samples), 3)


def baseline_from_args(args: argparse.Namespace) -> PaddleDetStylePipeline:
    cache = usable_cache(DEFAULT_COMPILE_CACHE)
    options = RuntimeOptions(args.runtime, args.device, args.precision, args.threads, cache)
    det, kp = (resolve_model(name, model_dir=args.model_dir) for name in (args.det_model, args.kp_model))
    threshold = args.det_threshold
    return PaddleDetStylePipeline(
        load_runtime(det, options), load_runtime(kp, options), threshold, score_floor=min(0.4, threshold)
    )


def cmd_bench(args: argparse.Namespace) -> int:
    model = model_from_args(args)
    baseline = baseline_from_args(args) if args.baseline else None
    data = Path(args.image).read_bytes()
    image = load_image(data)
    model.det_threshold = args.det_threshold
    for _ in range(args.warmup):
        model.predict(image)
        if baseline is not None:
            baseline.predict(image)
    model.timer.enabled = True
    stages: dict[str, list[float]] = {}
    predict, e2e, model_time, baseline_time, baseline_model = [], [], [], [], []
    persons = baseline_persons = 0
    for _ in range(args.repeat):
        if baseline is not None:  # alternate with ours, so machine noise hits both alike
            start = time.perf_counter()
            baseline_persons = len(baseline.predict(image))
            baseline_time.append((time.perf_counter() - start) * 1000)
            baseline_model.append(baseline.model_ms)
        model.timer.reset()
        start = time.perf_counter()
        result = model.predict(image)
        predict.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        draw_result(image, result)
        stages.setdefault("draw", []).append((time.perf_counter() - start) * 1000)
        for name, ms in model.timer.totals.items():
            stages.setdefault(name, []).append(ms)
        model_time.append(model.timer.totals["detect"] + model.timer.totals.get("keypoints", 0.0))
        persons = len(result)
    model.timer.enabled = False
    for _ in range(args.repeat):
        start = time.perf_counter()
        decoded = load_image(data)
        draw_result(decoded, model.predict(decoded))
        e2e.append((time.perf_counter() - start) * 1000)
    report = {
        "image": str(args.image),
        "models": [args.det_model, args.kp_model],
        "precision": args.precision,
        "predict_ms": _median(predict),
        "e2e_ms": _median(e2e),
        "model_ms": _median(model_time),
        "persons": persons,
        "stages": {name: _median(ms) for name, ms in stages.items()},
    }
    if baseline is not None:
        report["baseline_ms"] = _median(baseline_time)
        report["baseline_model_ms"] = _median(baseline_model)
        report["speedup"] = round(report["baseline_ms"] / report["predict_ms"], 3)
        report["baseline_persons"] = baseline_persons
    print(json.dumps(report, indent=1))
    print(
        f"predict / model time: {report['predict_ms'] / report['model_ms']:.2f}x; "
        f"e2e / model time: {report['e2e_ms'] / report['model_ms']:.2f}x"
    )
    if baseline is not None:
        print(
            f"PaddleDetection-style baseline: {report['baseline_ms']:.1f} ms "
            f"(model {report['baseline_model_ms']:.1f} ms); predict is {report['speedup']:.2f}x faster"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1), encoding="utf-8")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pose_demo.cli", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("infer", help="images and folders -> annotated images + JSON")
    p.add_argument("paths", nargs="+", help="image files or folders")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--det-threshold", type=fraction, default=0.5)
    p.add_argument("--kp-threshold", type=fraction, default=0.3, help="hide joints below this score")
    p.add_argument("--rules", help="rule set: a built-in name (default) or a YAML file")
    add_model_args(p)
    p.set_defaults(func=cmd_infer)

    p = sub.add_parser("evaluate", help="COCO keypoint AP with pycocotools")
    p.add_argument("--ann", required=True, help="COCO person_keypoints json")
    p.add_argument("--images", required=True, help="folder of the annotated images")
    p.add_argument("--gt-boxes", action="store_true", help="use ground-truth person boxes")
    p.add_argument("--flip", action="store_true", help="flip test: average with mirrored heatmaps")
    p.add_argument("--det-threshold", type=fraction, default=0.3)
    p.add_argument("--json", help="write {AP, AP50, AP75, AR} here")
    add_model_args(p)
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("bench", help="median time per stage on one image")
    p.add_argument("--image", required=True)
    p.add_argument("--repeat", type=positive(int), default=50)
    p.add_argument("--warmup", type=count, default=5)
    p.add_argument("--det-threshold", type=fraction, default=0.5)
    p.add_argument("--json", help="write the figures here")
    p.add_argument(
        "--baseline",
        action="store_true",
        help="also time PaddleDetection-style pre/post-processing on the same models, interleaved",
    )
    add_model_args(p)
    p.set_defaults(func=cmd_bench)
    p = sub.add_parser("rules", help="posture rule catalogs")
    rules_sub = p.add_subparsers(dest="rules_command", required=True)
    p = rules_sub.add_parser("list", help="print the rules of a catalog")
    p.add_argument("catalog", nargs="?", default="default", help="built-in name or YAML file")
    p.set_defaults(func=cmd_rules_list)

    add_video_commands(sub, add_model_args, model_from_args)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ModelStoreError, ImageInputError, RuleError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
