"""Detector: the three output layouts, both runtimes, boxes in original pixels and clipped."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import openvino as ov
import pytest
from openvino import opset13 as ops

from pose_demo import UniModel, load_image
from pose_demo.detection import decode
from pose_demo.detection.picodet import PicoDet
from pose_demo.models.preprocess import InputConfig
from pose_demo.models.runtime import RuntimeOptions, load_runtime
from pose_demo.models.store import resolve_model
from tests.conftest import IMAGES, MODEL_DIR

THREE_PEOPLE = IMAGES / "front_ochuman_000817_three_people_walking.jpg"


def make_detector(name_or_path: str | Path, runtime: str = "openvino") -> PicoDet:
    folder = resolve_model(name_or_path, model_dir=MODEL_DIR)
    rt = load_runtime(folder, RuntimeOptions(runtime))
    shape = next(iter(rt.input_shapes.values()))
    return PicoDet(rt, InputConfig.resolve(folder.spec, folder.infer_cfg, shape))


def build_nms_fused_model(folder: Path, rows: np.ndarray, size: int = 320) -> Path:
    """A tiny OpenVINO model with the official export's signature: inputs image + scale_factor
    ([sy, sx]); outputs bbox [N, 6] (class, score, x1, y1, x2, y2 in original pixels) and
    bbox_num. ``rows`` are boxes in network-input pixels; the graph divides by scale_factor."""
    image = ops.parameter([1, 3, size, size], np.float32, name="image")
    scale = ops.parameter([1, 2], np.float32, name="scale_factor")
    sxsy = ops.gather(scale, ops.constant(np.array([1, 0, 1, 0], np.int64)), ops.constant(np.int64(1)))
    boxes = ops.divide(ops.constant(rows[:, 2:].astype(np.float32)), sxsy)
    zero = ops.multiply(
        ops.reduce_mean(image, ops.constant(np.array([1, 2, 3], np.int64))), ops.constant(np.float32(0.0))
    )
    cls_score = ops.add(ops.constant(rows[:, :2].astype(np.float32)), zero)
    bbox = ops.concat([cls_score, boxes], 1)
    bbox.output(0).set_names({"bbox"})
    num = ops.constant(np.array([len(rows)], np.int32))
    num.output(0).set_names({"bbox_num"})
    model = ov.Model([bbox, num], [image, scale], "picodet_nms_fused")
    folder.mkdir()
    ov.save_model(model, folder / "model.xml", compress_to_fp16=False)
    return folder


def test_layout_nms_fused(tmp_path: Path) -> None:
    rows = np.array(
        [
            [0, 0.9, 32, 16, 160, 300],  # person
            [0, 0.2, 10, 10, 50, 50],  # person below the threshold
            [2, 0.95, 100, 100, 200, 200],  # not a person (class 2)
            [0, 0.7, 250, 40, 330, 330],  # runs past the right/bottom edge
        ]
    )
    detector = make_detector(build_nms_fused_model(tmp_path / "fused", rows))
    assert detector.layout == decode.NMS_FUSED
    image = np.full((480, 640, 3), 128, np.uint8)  # scale 320/640 in x, 320/480 in y
    boxes = detector.detect(image, threshold=0.5)
    assert len(boxes) == 2
    np.testing.assert_allclose(boxes[0].as_xyxy(), [64, 24, 320, 450], atol=1e-3)
    assert boxes[0].score == pytest.approx(0.9)
    np.testing.assert_allclose(boxes[1].as_xyxy(), [500, 60, 640, 480], atol=1e-3)  # clipped


def test_layout_boxes_scores_finds_the_three_walkers() -> None:
    detector = make_detector("picodet_s_320_lcnet_pedestrian")
    assert detector.layout == decode.BOXES_SCORES
    image = load_image(THREE_PEOPLE)
    boxes = detector.detect(image, threshold=0.5)
    assert len(boxes) == 3
    h, w = image.shape[:2]
    for b in boxes:
        assert 0 <= b.x1 < b.x2 <= w and 0 <= b.y1 < b.y2 <= h
        assert b.height > 0.5 * h  # full-body walkers filling most of the frame
    assert [b.score for b in boxes] == sorted((b.score for b in boxes), reverse=True)


def test_layout_raw_heads_matches_paddle_runtime() -> None:
    """The 2021 Paddle model decoded from raw heads: OpenVINO and Paddle Inference agree."""
    image = load_image(THREE_PEOPLE)
    openvino = make_detector("picodet_s_192_pedestrian", "openvino")
    paddle = make_detector("picodet_s_192_pedestrian", "paddle")
    assert openvino.layout == paddle.layout == decode.RAW_HEADS
    a, b = openvino.detect(image, 0.3), paddle.detect(image, 0.3)
    assert len(a) == len(b) == 3
    for x, y in zip(a, b, strict=True):
        np.testing.assert_allclose(x.as_xyxy(), y.as_xyxy(), atol=1.0)
        assert abs(x.score - y.score) <= 0.01


def test_boxes_follow_image_scale() -> None:
    """Boxes come back in original pixels: a 2x upscaled image gives 2x boxes."""
    detector = make_detector("picodet_s_192_lcnet_pedestrian")
    image = load_image(IMAGES / "side_frame_squat_f0030_standing.jpg")
    big = cv2.resize(image, None, fx=2, fy=2, interpolation=cv2.INTER_LINEAR)
    small_box, big_box = detector.detect(image)[0], detector.detect(big)[0]
    np.testing.assert_allclose(big_box.as_xyxy(), small_box.as_xyxy() * 2, atol=6)


def test_user_threshold_applies_after_nms() -> None:
    detector = make_detector("picodet_s_192_lcnet_pedestrian")
    image = load_image(THREE_PEOPLE)
    low, high = detector.detect(image, 0.1), detector.detect(image, 0.8)
    assert len(low) >= len(high)
    assert all(b.score >= 0.8 for b in high)
    assert all(b.score >= 0.1 for b in low)


def test_decode_raw_heads_geometry() -> None:
    """One confident cell at stride 8 with all distance mass on bin 2: a 32x32 box around it."""
    outputs = {}
    for i, cells in enumerate((576, 144, 36, 9)):
        outputs[f"score{i}"] = np.zeros((1, cells, 1), np.float32)
        outputs[f"dist{i}"] = np.full((1, cells, 32), -50.0, np.float32)
    outputs["score0"][0, 24 * 5 + 3] = 0.9  # row 5, column 3 -> centre (28, 44)
    outputs["dist0"][0, 24 * 5 + 3].reshape(4, 8)[:, 2] = 50.0
    boxes, scores = decode.decode_raw_heads(outputs, (192, 192))
    best = scores.argmax()
    assert scores[best] == pytest.approx(0.9)
    np.testing.assert_allclose(boxes[best], [28 - 16, 44 - 16, 28 + 16, 44 + 16], atol=1e-3)


def test_unimodel_with_paddle_runtime_for_the_paddle_detector() -> None:
    model = UniModel("picodet_s_192_pedestrian", "tinypose_128x96", runtime="paddle", model_dir=MODEL_DIR)
    result = model.predict(load_image(THREE_PEOPLE), det_threshold=0.5)
    assert len(result) == 3
