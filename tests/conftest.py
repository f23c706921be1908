"""Shared fixtures: real models from ../shared/models and real media from ../shared/data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pose_demo import UniModel

REPO = Path(__file__).resolve().parents[1]
MODEL_DIR = Path(os.environ.get("POSE_DEMO_MODEL_DIR") or REPO.parent / "shared" / "models")
DATA_DIR = Path(os.environ.get("POSE_DEMO_DATA_DIR") or REPO.parent / "shared" / "data")
os.environ.setdefault("POSE_DEMO_MODEL_DIR", str(MODEL_DIR))
# Tests read English output unless they ask for Chinese: the command lines they start follow this, not the
# locale of the machine running them.
os.environ["POSE_DEMO_LANG"] = "en"
COCO_ANN = DATA_DIR / "coco_subset" / "person_keypoints.json"
COCO_IMAGES = DATA_DIR / "coco_subset" / "images"
IMAGES = DATA_DIR / "images"
VIDEOS = DATA_DIR / "videos"


@pytest.fixture(scope="session")
def fast_model() -> UniModel:
    """picodet_s_192_lcnet_pedestrian + tinypose_128x96: the default, fast pair."""
    return UniModel(model_dir=MODEL_DIR)


@pytest.fixture(scope="session")
def accurate_model() -> UniModel:
    """picodet_s_320_lcnet_pedestrian + tinypose_256x192."""
    return UniModel("picodet_s_320_lcnet_pedestrian", "tinypose_256x192", model_dir=MODEL_DIR)
