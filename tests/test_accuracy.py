"""COCO keypoint AP on ../shared/data/coco_subset (f32, no flip) above the issue's floors.

PaddleDetection's own pre/post-processing on the same weights reaches 0.393 (128x96, GT boxes),
0.537 (256x192, GT boxes) and 0.335 (picodet 320 + 128x96 pipeline at 0.3).
"""

from __future__ import annotations

import pytest

from pose_demo import UniModel
from pose_demo.evaluation import evaluate
from tests.conftest import COCO_ANN, COCO_IMAGES, MODEL_DIR


@pytest.fixture(scope="module")
def model_320_128() -> UniModel:
    return UniModel("picodet_s_320_lcnet_pedestrian", "tinypose_128x96", model_dir=MODEL_DIR)


def test_tinypose_128x96_gt_boxes(model_320_128: UniModel) -> None:
    plain = evaluate(model_320_128, COCO_ANN, COCO_IMAGES, use_gt_boxes=True)
    assert plain["AP"] >= 0.385
    flipped = evaluate(model_320_128, COCO_ANN, COCO_IMAGES, use_gt_boxes=True, flip=True)
    assert flipped["AP"] > plain["AP"]


def test_tinypose_256x192_gt_boxes(accurate_model: UniModel) -> None:
    stats = evaluate(accurate_model, COCO_ANN, COCO_IMAGES, use_gt_boxes=True)
    assert stats["AP"] >= 0.525
    assert set(stats) == {"AP", "AP50", "AP75", "AR"}
    assert all(0 <= v <= 1 for v in stats.values())


def test_pipeline_picodet_320_tinypose_128x96(model_320_128: UniModel) -> None:
    stats = evaluate(model_320_128, COCO_ANN, COCO_IMAGES, det_threshold=0.3)
    assert stats["AP"] >= 0.33
