"""The PaddleDetection-style baseline used by ``bench --baseline``: faithful, and reported."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pose_demo import UniModel
from pose_demo.bench.paddle_pipeline import PaddleDetStylePipeline
from pose_demo.image_input import load_image
from pose_demo.models.registry import DEFAULT_DETECTOR, DEFAULT_KEYPOINTS
from pose_demo.models.runtime import RuntimeOptions, load_runtime
from pose_demo.models.store import resolve_model
from pose_demo.tracking.tracker import iou_matrix
from tests.conftest import IMAGES, MODEL_DIR
from tests.test_cli import run

STANDING = IMAGES / "side_frame_squat_f0030_standing.jpg"
DINNER = IMAGES / "crowd_coco_val2017_000000338905_dinner_table.jpg"


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # np.matrix, as the original uses
def test_baseline_finds_the_same_person(fast_model: UniModel) -> None:
    det, kp = (resolve_model(name, model_dir=MODEL_DIR) for name in (DEFAULT_DETECTOR, DEFAULT_KEYPOINTS))
    baseline = PaddleDetStylePipeline(load_runtime(det, RuntimeOptions()), load_runtime(kp, RuntimeOptions()))
    image = load_image(STANDING)
    ours = fast_model.predict(image).persons
    theirs = baseline.predict(image)
    assert len(ours) == len(theirs) == 1
    box, keypoints = theirs[0]
    assert iou_matrix(box.as_xyxy()[None], ours[0].box.as_xyxy()[None])[0, 0] > 0.9
    assert keypoints.shape == (17, 3)
    distance = np.linalg.norm(keypoints[:, :2] - ours[0].keypoints[:, :2], axis=1)
    assert np.median(distance) < 0.03 * box.height
    assert baseline.model_ms > 0


def test_bench_baseline_writes_figures(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    args = ("bench", "--baseline", "--image", str(STANDING), "--repeat", "3", "--warmup", "1")
    proc = run(*args, "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    report = json.loads(out.read_text())
    assert report["baseline_persons"] == report["persons"] == 1
    assert 0 < report["baseline_model_ms"] <= report["baseline_ms"]
    assert report["speedup"] == pytest.approx(report["baseline_ms"] / report["predict_ms"], abs=1e-3)
    assert "PaddleDetection-style baseline" in proc.stdout


def test_bench_baseline_threshold_reaches_both(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    args = ("bench", "--baseline", "--image", str(DINNER), "--repeat", "2", "--warmup", "0")
    proc = run(*args, "--det-threshold", "0.3", "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    report = json.loads(out.read_text())
    assert report["persons"] >= 6  # 4 at the default 0.5
    assert report["baseline_persons"] == report["persons"]
