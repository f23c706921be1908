"""Bodies that are not upright (issue 28, item 2): crops turned about the box centre, mapped back to image
pixels exactly; a person turned a quarter turn is found as when upright."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from pose_demo import UniModel, load_image
from pose_demo.pose_estimation.affine import apply_inverse, boxes_to_center_scale, crop_transforms
from pose_demo.pose_estimation.orientation import TurnOptions, most_confident, turn_candidates
from pose_demo.pose_estimation.tinypose import TopDownKeypoints
from tests.conftest import IMAGES

STANDING = IMAGES / "side_frame_squat_f0030_standing.jpg"


@pytest.mark.parametrize("angle", [0.0, 90.0, -90.0, 30.0, 180.0])
def test_turned_crop_round_trip(angle: float) -> None:
    boxes = np.array([[50.0, 40, 150, 240], [0, 0, 300, 60]])
    centers, scales = boxes_to_center_scale(boxes, 0.75, angles=[angle, angle])
    m = crop_transforms(centers, scales, (96, 128), [angle, angle])
    points = np.array([[[100.0, 140.0], [50, 40]], [[15, 30], [300, 0]]])
    in_crop = np.einsum("nij,nkj->nki", m[:, :, :2], points) + m[:, None, :, 2]
    np.testing.assert_allclose(in_crop[0, 0], [48, 64], atol=1e-9)  # the box centre at the crop centre
    np.testing.assert_allclose(apply_inverse(in_crop, m), points, atol=1e-9)


def test_a_quarter_turn_stands_a_lying_box_upright() -> None:
    """A 300x60 box turned 90 degrees clockwise: its left end (the head) is at the top of a crop sized by
    the box's length, not widened to a square by its width."""
    box = np.array([[0.0, 0, 300, 60]])
    centers, scales = boxes_to_center_scale(box, 0.75, expansion=1.0, angles=[90.0])
    np.testing.assert_allclose(scales, [[225, 300]])  # 60 x 300 once turned, widened to 3:4
    m = crop_transforms(centers, scales, (96, 128), [90.0])
    head = m[0, :, :2] @ [0.0, 30] + m[0, :, 2]
    np.testing.assert_allclose(head, [48, 0], atol=1e-9)
    _, upright = boxes_to_center_scale(box, 0.75, expansion=1.0)
    np.testing.assert_allclose(upright, [[300, 400]])


def test_turn_candidates_and_the_most_confident() -> None:
    boxes = np.array([[0.0, 0, 100, 200], [0, 0, 300, 100], [0, 0, 100, 100]])
    index, angles = turn_candidates(boxes, TurnOptions(min_aspect=1.0))
    assert index.tolist() == [0, 1, 2, 1, 1, 2, 2]
    assert angles.tolist() == [0, 0, 0, 90, -90, 90, -90]
    scores = np.array([0.5, 0.2, 0.4, 0.3, 0.6, 0.4, 0.1])
    keypoints = np.zeros((7, 17, 3))
    keypoints[..., 2] = scores[:, None]
    assert most_confident(index, keypoints).tolist() == [0, 4, 2]  # a tie keeps the crop as it is
    assert turn_candidates(boxes, TurnOptions(min_aspect=2.0))[0].tolist() == [0, 1, 2, 1, 1]
    with pytest.raises(ValueError):
        TurnOptions(min_aspect=0.0)


def test_a_person_turned_a_quarter_turn_is_found_as_upright(fast_model: UniModel) -> None:
    """The standing man, the photo turned 90 degrees clockwise (he lies, head on the right): with turned
    crops his keypoints are those of the upright photo, turned (to 0.05 pixel: the crops are the same but
    for OpenCV's fixed-point interpolation rounding a few pixels the other way); upright crops of the lying
    man score lower."""
    image = load_image(STANDING)
    box = fast_model.predict(image).persons[0].box
    height = image.shape[0]
    lying = cv2.rotate(image, cv2.ROTATE_90_CLOCKWISE)  # (x, y) -> (height - 1 - y, x)
    turned_box = np.array([[height - 1 - box.y2, box.x1, height - 1 - box.y1, box.x2]])
    plain = fast_model.keypoints
    upright = plain.estimate(image, np.array([box.as_xyxy()]))[0]
    turning = TopDownKeypoints(plain.runtime, plain.config, turn=TurnOptions())
    found = turning.estimate(lying, turned_box)[0]
    expected = np.stack([height - 1 - upright[:, 1], upright[:, 0]], axis=1)
    np.testing.assert_allclose(found[:, :2], expected, atol=0.05)
    np.testing.assert_allclose(found[:, 2], upright[:, 2], atol=1e-3)
    assert plain.estimate(lying, turned_box)[0, :, 2].mean() < upright[:, 2].mean() - 0.1
