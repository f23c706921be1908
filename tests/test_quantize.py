"""``quantize``: INT8 variants made by NNCF and kept only when they pass their check; speed presets."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import openvino as ov
import pytest

from pose_demo import UniModel
from pose_demo.app.settings import Settings, SettingsError
from pose_demo.cli import build_parser, main
from pose_demo.cli.common import model_names
from pose_demo.image_input import load_image
from pose_demo.models.presets import resolve_preset
from pose_demo.models.registry import DEFAULT_DETECTOR, DEFAULT_KEYPOINTS
from pose_demo.models.store import ModelNotFoundError, resolve_model
from pose_demo.quantize import CheckBars, detector_agreement, quantize_model
from pose_demo.rules import RuleSet
from tests.conftest import IMAGES, MODEL_DIR

DET = "picodet_s_320_lcnet_pedestrian"  # the fast preset's detector
VARIANT = f"{DET}_int8"
SHARED_IMAGES = sorted(p for p in IMAGES.iterdir() if p.suffix in (".jpg", ".png"))


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model cache of the tests' own (variants are never written into ../shared)."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def made(cache: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """``quantize`` on 8 calibration images, as a user runs it; its JSON report."""
    out = tmp_path_factory.mktemp("quantize") / "report.json"
    args = ["quantize", "--models", DET, "--images", str(IMAGES), "--subset", "8", "--cache", str(cache)]
    assert main([*args, "--model-dir", str(MODEL_DIR), "--time", "0", "--json", str(out)]) == 0
    (report,) = json.loads(out.read_text(encoding="utf-8"))
    return report


def negate_stem(model: ov.Model) -> None:
    """Break a model on purpose: the first convolution's output (as if its weights were negated)."""
    stem = next(op for op in model.get_ordered_ops() if op.get_type_name() == "Convolution")
    targets = list(stem.output(0).get_target_inputs())
    negated = ov.opset13.multiply(stem.output(0), ov.opset13.constant(np.float32(-1.0)))
    for target in targets:
        target.replace_source_output(negated.output(0))


def test_quantize_keeps_a_checked_variant_in_the_cache(made: dict, cache: Path) -> None:
    folder = cache / VARIANT
    assert sorted(p.name for p in cache.iterdir()) == [VARIANT]  # no partial folder left behind
    assert sorted(p.name for p in folder.iterdir()) == [f"{DET}.bin", f"{DET}.xml", "quantization.json"]
    saved = json.loads((folder / "quantization.json").read_text(encoding="utf-8"))
    assert saved == made
    assert made["check"]["passed"] and made["check"]["method"] == "agreement"
    assert made["check"]["figures"]["matched_share"] >= 0.8
    assert made["calibration"]["images"] == 8 and made["calibration"]["samples"] == 8
    assert made["versions"]["openvino"] == ov.get_version() and made["versions"]["nncf"]
    model = ov.Core().read_model(str(folder / f"{DET}.xml"))
    assert sum(op.get_type_name() == "FakeQuantize" for op in model.get_ordered_ops()) > 50
    # The store finds it by name (same input as its f32 model), and says how to make a missing one.
    assert resolve_model(VARIANT, download_dir=cache).spec.input_size == (320, 320)
    with pytest.raises(ModelNotFoundError, match="quantize --models tinypose_128x96"):
        resolve_model("tinypose_128x96_int8", download_dir=cache)


def test_int8_detections_agree_with_f32_on_the_shared_images(made: dict, cache: Path) -> None:
    """Every person found by one is found by the other, boxes IoU >= 0.9, on all 19 shared images."""
    f32, int8 = UniModel(DET, model_dir=MODEL_DIR), UniModel(cache / VARIANT, model_dir=MODEL_DIR)
    images = [load_image(p) for p in SHARED_IMAGES]
    check = detector_agreement(f32, int8, images, CheckBars(box_iou=0.9, matched=0.8))
    assert check.passed, check.reason
    assert check.figures["persons_f32"] >= 40 and check.figures["mean_iou"] >= 0.93


def test_the_check_refuses_a_broken_variant(tmp_path: Path) -> None:
    images = [load_image(p) for p in SHARED_IMAGES[:4]]
    report = quantize_model(DET, images, cache_dir=tmp_path, model_dir=MODEL_DIR, tamper=negate_stem)
    assert not report.kept and not report.check.passed
    assert report.check.figures["matched_share"] < 0.5  # 0.21 here
    assert "of the persons are found by both" in report.check.reason
    assert "the bar is 80%" in report.check.reason
    assert list(tmp_path.iterdir()) == []  # nothing kept, no partial folder


def test_presets_resolve_to_model_names(made: dict, cache: Path, tmp_path: Path) -> None:
    assert resolve_preset("balanced").models == (DEFAULT_DETECTOR, DEFAULT_KEYPOINTS)
    assert resolve_preset("accurate").models == (DET, "tinypose_256x192")
    fast = resolve_preset("fast", download_dir=cache)
    assert fast.models == (VARIANT, DEFAULT_KEYPOINTS)  # no INT8 TinyPose in this cache: f32
    assert len(fast.notices) == 1 and "no INT8 tinypose_128x96" in fast.notices[0]
    none = resolve_preset("fast", download_dir=tmp_path)
    assert none.models == (DEFAULT_DETECTOR, DEFAULT_KEYPOINTS) and len(none.notices) == 2
    given = resolve_preset("fast", "my_detector", "my_keypoints", download_dir=tmp_path)
    assert given.models == ("my_detector", "my_keypoints") and not given.notices
    args = build_parser().parse_args(["infer", "x.jpg", "--out", "o", "--preset", "accurate"])
    assert model_names(args) == (DET, "tinypose_256x192")
    args = build_parser().parse_args(
        ["video", "x.mp4", "--kp-model", DEFAULT_KEYPOINTS, "--preset", "accurate"]
    )
    assert model_names(args) == (DET, DEFAULT_KEYPOINTS)
    # The app's preset setting: its models unless the client names them.
    catalog = RuleSet.load("default")
    assert Settings.parse(catalog, preset="accurate").models == (DET, "tinypose_256x192")
    assert Settings.parse(catalog, preset="accurate", detector=DEFAULT_DETECTOR).models[0] == DEFAULT_DETECTOR
    with pytest.raises(SettingsError, match="choose one of fast, balanced, accurate"):
        Settings.parse(catalog, preset="fastest")


def test_bench_reports_the_variant_that_ran(made: dict, cache: Path, tmp_path: Path) -> None:
    """The fast preset against the f32 baseline: the JSON names both."""
    models = tmp_path / "models"
    models.mkdir()
    for name in (DET, DEFAULT_KEYPOINTS, DEFAULT_DETECTOR):
        (models / name).symlink_to(MODEL_DIR / name)
    (models / VARIANT).symlink_to(cache / VARIANT)
    out = tmp_path / "bench.json"
    image = str(IMAGES / "front_coco_val2017_000000199055_man_standing.jpg")
    args = ["bench", "--image", image, "--repeat", "2", "--warmup", "0", "--baseline", "--preset", "fast"]
    assert main([*args, "--model-dir", str(models), "--json", str(out)]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["preset"] == "fast"
    chosen = resolve_preset("fast", model_dir=models).models  # TinyPose: INT8 if output_inference has one
    assert report["models"] == list(chosen) and chosen[0] == VARIANT
    assert report["baseline_models"] == [DET, DEFAULT_KEYPOINTS]
    assert report["persons"] == report["baseline_persons"] == 1
