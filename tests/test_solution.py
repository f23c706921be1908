"""UniModel as a library: typed results, exports, thread safety, drawing."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from pose_demo import FrameResult, UniModel, load_image
from pose_demo.models.runtime import usable_cache
from pose_demo.visualization.draw import DrawOptions, draw_result
from tests.conftest import IMAGES, MODEL_DIR

THREE = IMAGES / "front_ochuman_000817_three_people_walking.jpg"
SQUAT = IMAGES / "side_frame_squat_f0257_deep_squat.jpg"


def test_result_types_and_json(fast_model: UniModel) -> None:
    result = fast_model.predict(load_image(THREE))
    assert isinstance(result, FrameResult) and len(result) == 3
    for person in result.persons:
        assert person.keypoints.shape == (17, 3)
        assert 0 < person.score <= 1
        assert person.box.x1 <= person.keypoints[:, 0].mean() <= person.box.x2
    data = json.loads(json.dumps(result.to_dict()))
    assert data["image"] == {"width": result.image_size[0], "height": result.image_size[1]}
    assert len(data["persons"][0]["keypoints"]) == 17 and len(data["persons"][0]["box"]) == 4
    coco = result.persons[0].to_coco(image_id=7)
    assert coco["image_id"] == 7 and len(coco["keypoints"]) == 51 and coco["category_id"] == 1


def test_same_answers_from_eight_threads(fast_model: UniModel) -> None:
    images = [load_image(p) for p in (THREE, SQUAT)] * 8
    expected = [fast_model.predict(img) for img in images]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(fast_model.predict, images))
    for a, b in zip(expected, got, strict=True):
        assert len(a) == len(b)
        for p, q in zip(a.persons, b.persons, strict=True):
            np.testing.assert_allclose(p.keypoints, q.keypoints, atol=1e-3)


def test_drawing_marks_the_person_and_scales_with_size(fast_model: UniModel) -> None:
    image = load_image(SQUAT)
    result = fast_model.predict(image)
    canvas = draw_result(image, result)
    assert canvas.shape == image.shape and not np.array_equal(canvas, image)
    changed = np.any(canvas != image, axis=2)
    box = result.persons[0].box
    margin = int(0.15 * box.height)  # room for the score tag above the box
    inside = changed[max(0, int(box.y1) - margin) : int(box.y2) + 2, int(box.x1) : int(box.x2) + margin]
    assert inside.sum() > 0.95 * changed.sum()  # the drawing is on the person
    bare = draw_result(image, result, DrawOptions(show_boxes=False, show_labels=False))
    thick = draw_result(image, result, DrawOptions(show_boxes=False, show_labels=False, thickness=3))
    assert np.any(thick != image, axis=2).sum() > 1.5 * np.any(bare != image, axis=2).sum()


def test_compiled_models_are_cached_and_give_the_same_answers(fast_model: UniModel, tmp_path: Path) -> None:
    cache = tmp_path / "compiled"
    image = load_image(THREE)
    first = UniModel(model_dir=MODEL_DIR, compile_cache=cache)
    blobs = sorted(cache.glob("*.blob"))
    assert len(blobs) == 3  # detector, TinyPose batch 1, TinyPose any batch
    second = UniModel(model_dir=MODEL_DIR, compile_cache=cache)  # loads the blobs
    assert sorted(cache.glob("*.blob")) == blobs
    expected = fast_model.predict(image)
    for model in (first, second):
        got = model.predict(image)
        assert len(got) == len(expected) == 3
        for p, q in zip(expected.persons, got.persons, strict=True):
            np.testing.assert_allclose(p.keypoints, q.keypoints, atol=1e-3)


def test_an_unwritable_compile_cache_is_skipped(tmp_path: Path) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    assert usable_cache(blocker / "cache") is None
    assert usable_cache(None) is None
    assert usable_cache(tmp_path / "new") == str(tmp_path / "new") and (tmp_path / "new").is_dir()
    assert len(UniModel(model_dir=MODEL_DIR, compile_cache=blocker / "cache").predict(load_image(THREE))) == 3
