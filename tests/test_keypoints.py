"""Top-down keypoints: crop geometry, DARK sub-pixel decoding, positions against COCO ground truth."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from pycocotools.coco import COCO

from pose_demo import UniModel, load_image
from pose_demo.evaluation import gt_boxes
from pose_demo.pose_estimation.affine import apply_inverse, boxes_to_center_scale, crop_transforms
from pose_demo.pose_estimation.heatmap import decode_heatmaps
from pose_demo.results import Box
from tests.conftest import COCO_ANN, COCO_IMAGES


def test_box_expanded_to_model_aspect_and_by_1_25() -> None:
    centers, scales = boxes_to_center_scale(np.array([[10, 20, 110, 420]]), aspect=96 / 128)
    np.testing.assert_allclose(centers, [[60, 220]])
    np.testing.assert_allclose(scales, [[300 * 1.25, 400 * 1.25]])  # widened to 3:4, then x1.25
    _, wide = boxes_to_center_scale(np.array([[0, 0, 300, 100]]), aspect=96 / 128)
    np.testing.assert_allclose(wide, [[375, 500]])  # heightened to 3:4


def test_crop_transform_round_trip() -> None:
    centers, scales = boxes_to_center_scale(np.array([[50, 40, 150, 240], [0, 0, 30, 60]]), 0.75)
    m = crop_transforms(centers, scales, (96, 128))
    points = np.array([[[100.0, 140.0], [50, 40]], [[15, 30], [0, 0]]])
    homo = np.concatenate([points, np.ones((2, 2, 1))], axis=-1)
    in_crop = np.einsum("nij,nkj->nki", m, homo)
    np.testing.assert_allclose(in_crop[0, 0], [48, 64])  # the box centre lands at the crop centre
    np.testing.assert_allclose(apply_inverse(in_crop, m), points, atol=1e-9)


@pytest.mark.parametrize(("x0", "y0"), [(10.3, 17.7), (5.5, 6.25), (20.9, 3.1)])
def test_dark_recovers_subpixel_peak(x0: float, y0: float) -> None:
    ys, xs = np.mgrid[:32, :24]
    heatmap = np.exp(-((xs - x0) ** 2 + (ys - y0) ** 2) / (2 * 2.0**2))[None, None]
    coords, peak = decode_heatmaps(heatmap)
    np.testing.assert_allclose(coords[0, 0], [x0, y0], atol=0.05)
    plain, _ = decode_heatmaps(heatmap, dark=False)
    assert np.abs(plain[0, 0] - [x0, y0]).max() > np.abs(coords[0, 0] - [x0, y0]).max()
    assert 0.9 < peak[0, 0] <= 1.0


def test_keypoints_close_to_coco_ground_truth(accurate_model: UniModel) -> None:
    """On the val image 785 (a skier), labelled joints land within 6 % of the box height."""
    coco = COCO(str(COCO_ANN))
    person = next(a for a in coco.loadAnns(coco.getAnnIds(imgIds=785)) if a["num_keypoints"] > 10)
    boxes = [b for b in gt_boxes(coco, 785) if abs(b.x1 - person["bbox"][0]) < 1]
    image = load_image(COCO_IMAGES / "000000000785.jpg")
    predicted = accurate_model.predict_with_boxes(image, boxes).persons[0].keypoints
    truth = np.array(person["keypoints"], float).reshape(17, 3)
    labelled = truth[:, 2] > 0
    error = np.linalg.norm(predicted[labelled, :2] - truth[labelled, :2], axis=1) / person["bbox"][3]
    assert np.median(error) < 0.03
    assert error.max() < 0.06
    assert predicted[labelled, 2].mean() > 0.5


def test_keypoints_in_original_pixels_for_large_images(fast_model: UniModel) -> None:
    """A 4x upscaled photo (past the detector's shrink limit) gives 4x keypoints."""
    image = load_image(COCO_IMAGES / "000000000785.jpg")
    big = cv2.resize(image, None, fx=4, fy=4, interpolation=cv2.INTER_CUBIC)
    box = Box(200, 40, 380, 420)
    small_kps = fast_model.predict_with_boxes(image, [box]).persons[0].keypoints
    big_box = Box(box.x1 * 4, box.y1 * 4, box.x2 * 4, box.y2 * 4)
    big_kps = fast_model.predict_with_boxes(big, [big_box]).persons[0].keypoints
    confident = small_kps[:, 2] > 0.5
    assert confident.sum() >= 10
    error = np.abs(big_kps[confident, :2] - small_kps[confident, :2] * 4)
    assert np.median(error) < 4 * 1.5  # within 1.5 original pixels
    detected = fast_model.predict(big).persons
    assert detected, "the person is still found in the 2564x2560 image"
    assert detected[0].box.height > 1000
