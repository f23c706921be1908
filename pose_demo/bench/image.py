"""``bench``: median time per stage of one image, optionally side by side with the PaddleDetection-style
baseline on the same models (calls alternate, so machine noise hits both alike)."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Sequence
from typing import Any

from pose_demo.bench.paddle_pipeline import PaddleDetStylePipeline
from pose_demo.image_input import load_image
from pose_demo.models.runtime import RuntimeOptions, load_runtime
from pose_demo.models.store import resolve_model
from pose_demo.predictor import UniModel
from pose_demo.visualization.draw import draw_result


def load_baseline(
    det_model: str,
    kp_model: str,
    options: RuntimeOptions,
    threshold: float,
    model_dir: str | os.PathLike[str] | None = None,
) -> PaddleDetStylePipeline:
    """The PaddleDetection-style pipeline on the same two models and runtime as ours."""
    det, kp = (resolve_model(name, model_dir=model_dir) for name in (det_model, kp_model))
    return PaddleDetStylePipeline(
        load_runtime(det, options), load_runtime(kp, options), threshold, score_floor=min(0.4, threshold)
    )


def _median(samples: Sequence[float]) -> float:
    return round(statistics.median(samples), 3)


def bench_image(
    model: UniModel,
    data: bytes,
    repeat: int,
    warmup: int,
    det_threshold: float,
    baseline: PaddleDetStylePipeline | None = None,
) -> dict[str, Any]:
    """Medians in ms: ``predict_ms`` (decoded image -> results), ``model_ms`` (inside the two models),
    ``e2e_ms`` (file bytes -> annotated image), per stage; with ``baseline``, its time and our speed-up."""
    image = load_image(data)
    for _ in range(warmup):
        model.predict(image, det_threshold)
        if baseline is not None:
            baseline.predict(image)
    model.timer.enabled = True
    stages: dict[str, list[float]] = {}
    predict, e2e, model_time, baseline_time, baseline_model = [], [], [], [], []
    persons = baseline_persons = 0
    for _ in range(repeat):
        if baseline is not None:
            start = time.perf_counter()
            baseline_persons = len(baseline.predict(image))
            baseline_time.append((time.perf_counter() - start) * 1000)
            baseline_model.append(baseline.model_ms)
        model.timer.reset()
        start = time.perf_counter()
        result = model.predict(image, det_threshold)
        predict.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        draw_result(image, result)
        stages.setdefault("draw", []).append((time.perf_counter() - start) * 1000)
        for name, ms in model.timer.totals.items():
            stages.setdefault(name, []).append(ms)
        model_time.append(model.timer.totals["detect"] + model.timer.totals.get("keypoints", 0.0))
        persons = len(result)
    model.timer.enabled = False
    for _ in range(repeat):
        start = time.perf_counter()
        decoded = load_image(data)
        draw_result(decoded, model.predict(decoded, det_threshold))
        e2e.append((time.perf_counter() - start) * 1000)
    report: dict[str, Any] = {
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
    return report
