"""INT8 variants of the models by NNCF post-training quantization, each checked against its f32 model
before it is kept.

A variant is calibrated on images (a detector on the images themselves, a keypoint model on the person
crops that the f32 detector finds in them, cut with the project's own preprocessing), written to a hidden
``.<name>_int8.partial-XXXX`` folder of the model cache, checked, and renamed to ``<name>_int8/`` (same
files as the f32 folder, plus ``quantization.json``) only when it passed; a failing one is removed.

The check (``CheckBars``):

- with annotations (COCO keypoints): AP may drop at most ``ap_drop`` (0.01). A detector is measured as a
  pipeline (its boxes at threshold 0.3, then the f32 keypoint model), a keypoint model on the
  ground-truth boxes (``pose_demo.evaluation``).
- without: agreement with the f32 model on the calibration images. Detector: every person the f32 model
  finds (score >= 0.5) must have an INT8 box with IoU >= ``box_iou`` (0.9) among the INT8 detections
  scoring >= 0.4, and the other way round; at least ``matched`` (80%) of the persons, both ways.
  Keypoint model: on the f32 detector's boxes, the mean OKS between the f32 and the INT8 keypoints (COCO
  sigmas, box area as the scale, over the joints the f32 model scores >= 0.3) must be >= ``oks`` (0.98).
  The bars were set by measurement (``docs/speed.md``): on the 19 shared images, TinyPose 128x96 with NNCF's
  default quantization (0.08 AP lost on COCO) scores 0.955, the variant that loses 0.01 AP 0.984; PicoDet-320
  with NNCF's defaults matches 75% of the persons, the tuned variant (AP unchanged) 84-88%.
"""

from __future__ import annotations

import datetime
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pose_demo.models.presets import REPORT_FILE
from pose_demo.models.registry import DEFAULT_DETECTOR, DEFAULT_KEYPOINTS, INT8_SUFFIX
from pose_demo.models.runtime import ModelRunError
from pose_demo.models.store import DEFAULT_DOWNLOAD_DIR, ModelFolder, resolve_model
from pose_demo.predictor import UniModel
from pose_demo.results import Box

INSTALL_HINT = "pip install -r requirements-quantize.txt"
CROP_DETECTOR = "picodet_s_320_lcnet_pedestrian"  # finds the most people: the crops of keypoint models
DET_THRESHOLD = 0.5  # persons compared in the detector agreement check, and cut as calibration crops
DET_MARGIN = 0.1  # a person's match may score this much lower (scores near the threshold flip either way)
PIPELINE_THRESHOLD = 0.3  # detection threshold of the pipeline AP (as ``evaluate``)
OKS_MIN_SCORE = 0.3  # joints the f32 model scores below this are left out of the OKS
DEFAULT_MODELS = (DEFAULT_DETECTOR, CROP_DETECTOR, DEFAULT_KEYPOINTS)  # what ``quantize`` makes


class QuantizeError(ModelRunError):
    """A model could not be quantized (NNCF missing, an unsupported model, no calibration data)."""


@dataclass(frozen=True)
class CheckBars:
    """What an INT8 variant must reach to be kept (see the module's docstring)."""

    box_iou: float = 0.9
    matched: float = 0.8
    oks: float = 0.98
    ap_drop: float = 0.01

    def __post_init__(self) -> None:
        for name in ("box_iou", "matched", "oks", "ap_drop"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be from 0 to 1, not {getattr(self, name)!r}")


@dataclass(frozen=True)
class QuantizeSettings:
    """How NNCF quantizes one model.

    preset: ``performance`` (symmetric activations) or ``mixed`` (asymmetric activations).
    fast_bias_correction: False runs NNCF's full bias correction (slower, sometimes more accurate).
    keep_first / keep_last: the first / last convolutions left in f32 (NNCF's ``ignored_scope``): the stem
    sees raw pixels, the last layers make the heatmaps that keypoints are read from to a sub-pixel.
    keep_types: operation types left in f32 (those the model has): a detector's decoding tail (score
    products, box distribution softmax and its expectation) would otherwise round scores to a few levels.
    """

    preset: str = "performance"
    fast_bias_correction: bool = True
    keep_first: int = 0
    keep_last: int = 0
    keep_types: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.preset not in ("performance", "mixed"):
            raise ValueError(f"preset must be 'performance' or 'mixed', not {self.preset!r}")
        if self.keep_first < 0 or self.keep_last < 0:
            raise ValueError("keep_first and keep_last must be >= 0")


# The settings that came out best here (docs/speed.md has every try and its figures).
DEFAULT_SETTINGS = {
    "detector": QuantizeSettings(preset="mixed", keep_types=("Softmax", "MatMul", "Multiply", "Sqrt")),
    "keypoints": QuantizeSettings(
        preset="mixed", keep_first=2, keep_last=4, keep_types=("Add", "Interpolate", "Concat")
    ),
}


@dataclass(frozen=True)
class CheckResult:
    """The check of one variant: ``figures`` for f32 and INT8, and why it failed ("" if it passed)."""

    method: str  # "ap" or "agreement"
    passed: bool
    figures: dict[str, float]
    reason: str = ""


@dataclass(frozen=True)
class VariantReport:
    """What ``quantize_model`` did with one model. ``folder`` is None when the variant was not kept."""

    model: str
    variant: str
    kind: str
    check: CheckResult
    folder: Path | None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def kept(self) -> bool:
        return self.folder is not None


def variant_name(name: str) -> str:
    return f"{name}{INT8_SUFFIX}"


def load_nncf() -> Any:
    """The ``nncf`` module, or a QuantizeError saying how to install it."""
    try:
        import nncf
    except ImportError as e:
        raise QuantizeError("error.model.no_nncf", hint=INSTALL_HINT) from e
    nncf.set_log_level(logging.ERROR)
    return nncf


def model_kind(folder: ModelFolder) -> str:
    """``keypoints`` for a model with a heatmap (4-D) output, else ``detector``."""
    import openvino as ov

    model = ov.Core().read_model(str(folder.model_file))
    return (
        "keypoints"
        if any(o.get_partial_shape().rank.get_length() == 4 for o in model.outputs)
        else "detector"
    )


def kept_layers(model: Any, settings: QuantizeSettings) -> tuple[list[str], list[str]]:
    """What stays f32 in an OpenVINO model: the names of its first ``keep_first`` and last ``keep_last``
    convolutions, and those of ``keep_types`` that it has."""
    ops = model.get_ordered_ops()
    convs = [
        op.get_friendly_name() for op in ops if op.get_type_name() in ("Convolution", "GroupConvolution")
    ]
    names = convs[: settings.keep_first] + (convs[-settings.keep_last :] if settings.keep_last else [])
    present = {op.get_type_name() for op in ops}
    return names, [t for t in settings.keep_types if t in present]


def reference_model(
    model: str | os.PathLike[str], kind: str, model_dir: str | os.PathLike[str] | None = None
) -> UniModel:
    """A pipeline around ``model``: a detector with the default keypoint model, a keypoint model behind
    ``CROP_DETECTOR`` (both f32)."""
    if kind == "detector":
        return UniModel(model, DEFAULT_KEYPOINTS, model_dir=model_dir, compile_cache=None)
    return UniModel(CROP_DETECTOR, model, model_dir=model_dir, compile_cache=None)


def calibration_samples(reference: UniModel, kind: str, images: Sequence[np.ndarray]) -> list[Any]:
    """The model's inputs for ``images``: detector inputs, or one person crop per sample (the crops of the
    boxes the f32 detector finds), made by the project's own preprocessing."""
    samples: list[Any] = []
    for image in images:
        if kind == "detector":
            blob, sx, sy = reference.detector.preprocess(image)
            samples.append(reference.detector.inputs(blob, sx, sy))
            continue
        boxes = reference.detector.detect(image, DET_THRESHOLD)
        if boxes:
            blob, _ = reference.keypoints.prepare(image, np.array([b.as_xyxy() for b in boxes], np.float32))
            samples += [blob[i : i + 1] for i in range(len(blob))]
    if not samples:
        raise QuantizeError("error.model.no_calibration_person")
    return samples


def quantize_graph(
    folder: ModelFolder, samples: list[Any], settings: QuantizeSettings
) -> tuple[Any, list[str]]:
    """The OpenVINO model of ``folder`` quantized to INT8 by ``nncf.quantize`` on ``samples``, and the
    names of the layers left in f32."""
    import openvino as ov

    nncf = load_nncf()
    model = ov.Core().read_model(str(folder.model_file))
    names, types = kept_layers(model, settings)
    quantized = nncf.quantize(
        model,
        nncf.Dataset(samples),
        preset=nncf.QuantizationPreset(settings.preset),
        subset_size=len(samples),
        fast_bias_correction=settings.fast_bias_correction,
        ignored_scope=nncf.IgnoredScope(names=names, types=types) if names or types else None,
    )
    return quantized, names + types


def _match_share(a: list[Box], b: list[Box], iou: float) -> tuple[int, list[float]]:
    """How many boxes of ``a`` have a box of ``b`` overlapping them by ``iou``; the best IoU of each."""
    from pose_demo.tracking.tracker import iou_matrix

    if not a:
        return 0, []
    if not b:
        return 0, [0.0] * len(a)
    best = iou_matrix(np.array([x.as_xyxy() for x in a]), np.array([x.as_xyxy() for x in b])).max(axis=1)
    return int((best >= iou).sum()), best.tolist()


def detector_agreement(
    reference: UniModel, candidate: UniModel, images: Sequence[np.ndarray], bars: CheckBars
) -> CheckResult:
    """Persons found by both, matched by IoU, both ways (see the module's docstring)."""
    f32_n = int8_n = f32_matched = int8_matched = 0
    ious: list[float] = []
    for image in images:
        f32 = reference.detector.detect(image, DET_THRESHOLD - DET_MARGIN)
        int8 = candidate.detector.detect(image, DET_THRESHOLD - DET_MARGIN)
        f32_sure = [b for b in f32 if b.score >= DET_THRESHOLD]
        int8_sure = [b for b in int8 if b.score >= DET_THRESHOLD]
        matched, best = _match_share(f32_sure, int8, bars.box_iou)
        f32_n, f32_matched, ious = f32_n + len(f32_sure), f32_matched + matched, ious + best
        matched, _ = _match_share(int8_sure, f32, bars.box_iou)
        int8_n, int8_matched = int8_n + len(int8_sure), int8_matched + matched
    share = min(f32_matched / max(f32_n, 1), int8_matched / max(int8_n, 1))
    figures = {
        "persons_f32": f32_n,
        "persons_int8": int8_n,
        "matched_f32_in_int8": f32_matched,
        "matched_int8_in_f32": int8_matched,
        "matched_share": round(share, 4),
        "mean_iou": round(float(np.mean(ious)), 4) if ious else 1.0,
    }
    passed = share >= bars.matched
    reason = (
        ""
        if passed
        else f"only {share:.1%} of the persons are found by both with box IoU >= {bars.box_iou} "
        f"({f32_matched} of {f32_n} f32 persons, {int8_matched} of {int8_n} INT8 ones); "
        f"the bar is {bars.matched:.0%}"
    )
    return CheckResult("agreement", passed, figures, reason)


def keypoint_oks(
    reference: np.ndarray, other: np.ndarray, box: Box, min_score: float = OKS_MIN_SCORE
) -> float:
    """COCO's object keypoint similarity of ``other`` (17, 3) to ``reference``, over the joints the
    reference scores >= ``min_score``, with the box area as the object's scale (1.0 when none is)."""
    from pycocotools.cocoeval import Params

    sigmas = np.asarray(Params(iouType="keypoints").kpt_oks_sigmas)
    used = reference[:, 2] >= min_score
    if not used.any():
        return 1.0
    d2 = ((reference[:, :2] - other[:, :2]) ** 2).sum(axis=1)
    e = d2 / ((2 * sigmas) ** 2 * max(box.area, 1.0) * 2)
    return float(np.exp(-e)[used].mean())


def keypoint_agreement(
    reference: UniModel, candidate: UniModel, images: Sequence[np.ndarray], bars: CheckBars
) -> CheckResult:
    """Mean OKS between the f32 and INT8 keypoints on the f32 detector's boxes."""
    scores: list[float] = []
    for image in images:
        boxes = reference.detector.detect(image, DET_THRESHOLD)
        if not boxes:
            continue
        xyxy = np.array([b.as_xyxy() for b in boxes], np.float32)
        f32 = reference.keypoints.estimate(image, xyxy)
        int8 = candidate.keypoints.estimate(image, xyxy)
        scores += [keypoint_oks(a, b, box) for a, b, box in zip(f32, int8, boxes, strict=True)]
    if not scores:
        raise QuantizeError("error.model.no_check_person")
    mean = float(np.mean(scores))
    figures = {"persons": len(scores), "mean_oks": round(mean, 4), "min_oks": round(float(min(scores)), 4)}
    passed = mean >= bars.oks
    reason = (
        ""
        if passed
        else f"mean keypoint OKS INT8 vs f32 is {mean:.3f} over {len(scores)} persons; the bar is {bars.oks}"
    )
    return CheckResult("agreement", passed, figures, reason)


def ap_check(
    reference: UniModel,
    candidate: UniModel,
    kind: str,
    ann: str | Path,
    image_dir: str | Path,
    bars: CheckBars,
) -> CheckResult:
    """AP of the f32 and INT8 pipelines on annotations: detector as a pipeline, keypoints on GT boxes."""
    from pose_demo.evaluation import evaluate

    gt_boxes = kind == "keypoints"
    f32 = evaluate(reference, ann, image_dir, gt_boxes, det_threshold=PIPELINE_THRESHOLD)["AP"]
    int8 = evaluate(candidate, ann, image_dir, gt_boxes, det_threshold=PIPELINE_THRESHOLD)["AP"]
    drop = f32 - int8
    what = "AP on ground-truth boxes" if gt_boxes else f"pipeline AP (threshold {PIPELINE_THRESHOLD})"
    figures = {"ap_f32": round(f32, 4), "ap_int8": round(int8, 4), "ap_drop": round(drop, 4)}
    passed = drop <= bars.ap_drop
    reason = "" if passed else f"{what} drops from {f32:.3f} to {int8:.3f}; at most {bars.ap_drop} is allowed"
    return CheckResult("ap", passed, figures, reason)


def time_models(
    files: Sequence[str | os.PathLike[str]], inputs: Any, repeat: int = 100, threads: int = 0
) -> list[float]:
    """Median ms of one inference of each model on ``inputs``, calls interleaved so that machine noise
    hits them alike (``benchmark_app -hint latency``-style: one request, one stream)."""
    import openvino as ov

    core = ov.Core()
    config: dict[str, Any] = {"PERFORMANCE_HINT": "LATENCY"}
    if threads:
        config["INFERENCE_NUM_THREADS"] = threads
    requests = [core.compile_model(str(f), "CPU", config).create_infer_request() for f in files]
    times: list[list[float]] = [[] for _ in requests]
    for i in range(repeat + 10):
        for request, samples in zip(requests, times, strict=True):
            start = time.perf_counter()
            request.infer(inputs)
            if i >= 10:
                samples.append((time.perf_counter() - start) * 1000)
    return [round(float(np.median(t)), 3) for t in times]


def _versions() -> dict[str, str]:
    import nncf
    import openvino as ov

    return {"nncf": nncf.__version__, "openvino": ov.get_version()}


def quantize_model(
    name: str | os.PathLike[str],
    images: Sequence[np.ndarray],
    *,
    calibration: str = "",
    ann: tuple[str | Path, str | Path] | None = None,
    cache_dir: str | Path = DEFAULT_DOWNLOAD_DIR,
    model_dir: str | Path | None = None,
    settings: QuantizeSettings | None = None,
    bars: CheckBars = CheckBars(),
    timing_repeat: int = 0,
    tamper: Callable[[Any], None] | None = None,
) -> VariantReport:
    """Quantize one model (a registry name or folder), check it, and keep it as ``<cache_dir>/<name>_int8``
    when it passed.

    images: the calibration images (BGR), also those of the agreement check. calibration: how to name
    them in ``quantization.json``. ann: (COCO keypoint file, its image folder) for the AP check instead.
    settings: NNCF's settings (default: ``DEFAULT_SETTINGS`` of the model's kind). timing_repeat: when
    > 0, also time f32 vs INT8 (``time_models``). tamper: called on the quantized OpenVINO model before
    it is saved (tests use it to break a variant on purpose).
    """
    load_nncf()
    if not images:
        raise QuantizeError("error.model.no_calibration_images")
    folder = resolve_model(name, model_dir=model_dir, download_dir=cache_dir)
    if folder.format != "openvino":
        raise QuantizeError("error.model.not_openvino", name=folder.path.name, format=folder.format)
    kind = model_kind(folder)
    settings = settings or DEFAULT_SETTINGS[kind]
    model = folder.path.name
    variant = variant_name(model)
    start = time.perf_counter()
    reference = reference_model(folder.path, kind, model_dir)
    samples = calibration_samples(reference, kind, images)
    quantized, kept = quantize_graph(folder, samples, settings)
    if tamper is not None:
        tamper(quantized)
    seconds = time.perf_counter() - start
    cache = Path(cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{variant}.partial-", dir=cache))
    try:
        import openvino as ov

        ov.save_model(quantized, str(partial / folder.model_file.name))
        if (folder.path / "infer_cfg.yml").is_file():
            shutil.copy(folder.path / "infer_cfg.yml", partial)
        candidate = reference_model(partial, kind, model_dir)
        if ann is not None:
            check = ap_check(reference, candidate, kind, ann[0], ann[1], bars)
        elif kind == "detector":
            check = detector_agreement(reference, candidate, images, bars)
        else:
            check = keypoint_agreement(reference, candidate, images, bars)
        details: dict[str, Any] = {
            "model": model,
            "variant": variant,
            "kind": kind,
            "made": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "versions": _versions(),
            "calibration": {"images": len(images), "samples": len(samples), "source": calibration},
            "settings": {**asdict(settings), "kept_in_f32": kept},
            "quantize_seconds": round(seconds, 1),
            "check": {**asdict(check), "bars": asdict(bars)},
        }
        if timing_repeat:
            inputs = samples[0]
            f32_ms, int8_ms = time_models(
                [folder.model_file, partial / folder.model_file.name], inputs, timing_repeat
            )
            details["timing"] = {
                "f32_ms": f32_ms,
                "int8_ms": int8_ms,
                "speedup": round(f32_ms / int8_ms, 3),
                "load_average": round(os.getloadavg()[0], 2),
            }
        if not check.passed:
            return VariantReport(model, variant, kind, check, None, details)
        (partial / REPORT_FILE).write_text(json.dumps(details, indent=1), encoding="utf-8")
        target = cache / variant
        if target.exists():
            shutil.rmtree(target)
        os.replace(partial, target)
        return VariantReport(model, variant, kind, check, target, details)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
