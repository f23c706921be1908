"""Geometry primitives against hand-computed values, invariances and confidence gating."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from pose_demo.geometry import (
    SHOULDER_TO_TORSO,
    body_scale,
    distance_ratio,
    facing,
    frontality,
    joint_angle,
    make_keypoints,
    point,
    relative_position,
    segment_angle,
    symmetry,
)

# A person facing the camera (their left is on the image right): torso 100 px, shoulders 60 px apart.
STANDING = make_keypoints(
    {
        "nose": (100, 40),
        "left_eye": (105, 35),
        "right_eye": (95, 35),
        "left_ear": (112, 38),
        "right_ear": (88, 38),
        "left_shoulder": (130, 80),
        "right_shoulder": (70, 80),
        "left_elbow": (160, 120),
        "right_elbow": (65, 130),
        "left_wrist": (200, 120),
        "right_wrist": (62, 175),
        "left_hip": (120, 180),
        "right_hip": (80, 180),
        "left_knee": (120, 260),
        "right_knee": (80, 260),
        "left_ankle": (120, 340),
        "right_ankle": (80, 340),
    },
    score=0.9,
)


def pt(x: float, y: float, score: float = 1.0) -> np.ndarray:
    return np.array([x, y, score])


def moved(keypoints: np.ndarray, degrees: float = 0.0, factor: float = 1.0, shift=(0.0, 0.0)) -> np.ndarray:
    """The skeleton rotated about the origin, scaled and translated (scores kept)."""
    t = np.radians(degrees)
    rotation = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    out = keypoints.copy()
    out[..., :2] = keypoints[..., :2] @ rotation.T * factor + np.asarray(shift)
    return out


@pytest.mark.parametrize(
    ("a", "c", "expected"),
    [((1, 0), (0, 1), 90), ((1, 0), (-1, 0), 180), ((1, 0), (1, 1), 45), ((2, 0), (1, np.sqrt(3)), 60)],
)
def test_joint_angle_hand_computed(a, c, expected):
    assert joint_angle(pt(*a), pt(0, 0), pt(*c)) == pytest.approx(expected)


def test_joint_angles_of_the_standing_skeleton():
    kps = STANDING
    knee = joint_angle(point(kps, "left_hip"), point(kps, "left_knee"), point(kps, "left_ankle"))
    # shoulder (130, 80) -> elbow (160, 120) -> wrist (200, 120): 180 - atan(40 / 30) = 126.87 deg
    elbow = joint_angle(point(kps, "left_shoulder"), point(kps, "left_elbow"), point(kps, "left_wrist"))
    assert knee == pytest.approx(180)
    assert elbow == pytest.approx(180 - np.degrees(np.arctan2(40, 30)))


@pytest.mark.parametrize(
    ("b", "reference", "expected"),
    [
        ((10, -10), "horizontal", 45),  # up and to the right: b higher than a
        ((-10, -10), "horizontal", 45),  # same elevation on the other side
        ((10, 10), "horizontal", -45),
        ((10, 0), "horizontal", 0),
        ((0, -5), "horizontal", 90),
        ((0, -10), "vertical", 0),  # straight up
        ((10, -10), "vertical", 45),  # leaning to the image right
        ((-10, -10), "vertical", -45),
        ((10, 0), "vertical", 90),
        ((0, 10), "vertical", 180),
    ],
)
def test_segment_angle_hand_computed(b, reference, expected):
    assert segment_angle(pt(0, 0), pt(*b), reference) == pytest.approx(expected)


def test_segment_angle_of_a_tilted_shoulder_line():
    # right shoulder (70, 80), left shoulder raised by 6 px over 60 px: atan(0.1) = 5.71 deg
    kps = STANDING.copy()
    kps[5, 1] = 74
    tilt = segment_angle(point(kps, "right_shoulder"), point(kps, "left_shoulder"))
    assert tilt == pytest.approx(5.7106, abs=1e-4)


def test_body_scale_is_the_torso_then_the_shoulders():
    assert body_scale(STANDING) == pytest.approx(100)
    no_hips = STANDING.copy()
    no_hips[11:13, 2] = 0.1
    assert body_scale(no_hips) == pytest.approx(60 * SHOULDER_TO_TORSO)
    no_shoulders = STANDING.copy()
    no_shoulders[5, 2] = 0.1
    assert np.isnan(body_scale(no_shoulders))


def test_relative_position_in_body_units():
    scale = body_scale(STANDING)

    def offset(a: str, b: str, axis: str = "y") -> float:
        return relative_position(point(STANDING, a), point(STANDING, b), scale, axis)

    # image y grows downward: the neck (y 80) is 1 torso above the mid-hip (y 180)
    assert offset("neck", "mid_hip") == pytest.approx(1.0)
    assert offset("right_wrist", "right_shoulder") == pytest.approx(-0.95)
    assert offset("left_shoulder", "neck", "x") == pytest.approx(0.3)
    assert offset("right_shoulder", "neck", "x") == pytest.approx(-0.3)


def test_distance_ratio_in_body_units():
    kps, scale = STANDING, body_scale(STANDING)
    knees = point(kps, "left_knee"), point(kps, "right_knee")
    assert distance_ratio(*knees, scale) == pytest.approx(0.4)
    assert distance_ratio(*knees, scale, axis="x") == pytest.approx(0.4)
    assert distance_ratio(*knees, scale, axis="y") == pytest.approx(0.0)
    arm = point(kps, "right_shoulder"), point(kps, "right_wrist")  # (70, 80) -> (62, 175)
    assert distance_ratio(*arm, scale) == pytest.approx(np.hypot(8, 95) / 100)


def test_symmetry_is_left_minus_right():
    assert symmetry(10.0, 4.0) == pytest.approx(6.0)
    assert np.allclose(symmetry(np.array([1.0, 5.0]), np.array([3.0, 5.0])), [-2.0, 0.0])
    assert np.isnan(symmetry(10.0, np.nan))


def test_virtual_points():
    neck = STANDING.copy()
    neck[5, 2] = 0.4
    assert np.allclose(point(neck, "neck"), [100, 80, 0.4])  # middle of the shoulders, lowest score
    assert np.allclose(point(STANDING, "mid_hip")[:2], [100, 180])
    head = STANDING.copy()
    head[0:5, 2] = [0.5, 0.6, 0.6, 0.95, 0.7]
    assert np.allclose(point(head, "head"), [112, 38, 0.95])  # the most confident of nose, eyes, ears


def test_facing_and_frontality():
    assert frontality(STANDING) == pytest.approx(0.6)
    side = STANDING.copy()
    side[5, 0], side[6, 0] = 104, 96  # shoulders overlap in a side view
    assert frontality(side) == pytest.approx(0.08)
    side[0, 0] = 90  # nose to the left of the best ear (left_ear at x 112)
    assert facing(side) == -1
    side[0, 0] = 120
    assert facing(side) == 1


def test_rotation_scale_and_translation_keep_joint_angles_and_body_units():
    for transformed in (moved(STANDING, 33), moved(STANDING, -70, factor=2.5, shift=(400, -90))):
        for a, v, c in [(5, 7, 9), (11, 13, 15), (11, 5, 7)]:
            assert joint_angle(transformed[a], transformed[v], transformed[c]) == pytest.approx(
                joint_angle(STANDING[a], STANDING[v], STANDING[c])
            )
        ratio = distance_ratio(transformed[9], transformed[16], body_scale(transformed))
        assert ratio == pytest.approx(distance_ratio(STANDING[9], STANDING[16], body_scale(STANDING)))


def test_scale_and_translation_keep_every_measure():
    big = moved(STANDING, factor=3.7, shift=(-250, 1000))
    assert body_scale(big) == pytest.approx(370)
    for kps in (STANDING, big):
        scale = body_scale(kps)
        # left wrist (200, 120) is 80 px below and 100 px right of the nose (100, 40)
        assert relative_position(kps[9], kps[0], scale) == pytest.approx(-0.8)
        assert relative_position(kps[9], kps[0], scale, "x") == pytest.approx(1.0)
        assert segment_angle(kps[5], kps[9]) == pytest.approx(-np.degrees(np.arctan2(40, 70)))
        assert segment_angle(point(kps, "mid_hip"), point(kps, "neck"), "vertical") == pytest.approx(0)


def test_primitives_are_vectorised_over_persons():
    batch = np.stack([STANDING, moved(STANDING, 20, factor=2), moved(STANDING, factor=0.5, shift=(9, 9))])
    assert point(batch, "neck").shape == (3, 3)
    assert np.allclose(body_scale(batch), [100, 200, 50])
    knee = joint_angle(batch[:, 5], batch[:, 7], batch[:, 9])
    assert knee.shape == (3,)
    assert np.allclose(knee, joint_angle(STANDING[5], STANDING[7], STANDING[9]))


def test_low_confidence_gives_unknown():
    a, v, c, scale = pt(1, 0), pt(0, 0, 0.29), pt(0, 1), 100.0
    assert np.isnan(joint_angle(a, v, c))
    assert np.isnan(segment_angle(a, v))
    assert np.isnan(relative_position(v, a, scale))
    assert np.isnan(distance_ratio(a, v, scale))
    assert joint_angle(a, pt(0, 0, 0.3), c) == pytest.approx(90)  # at the threshold counts as seen
    assert joint_angle(a, v, c, min_score=0.2) == pytest.approx(90)
    # a batch gates each person on its own
    batch = np.stack([STANDING, STANDING])
    batch[1, 13, 2] = 0.0
    knees = joint_angle(batch[:, 11], batch[:, 13], batch[:, 15])
    assert knees[0] == pytest.approx(180)
    assert np.isnan(knees[1])


# Issue 10, item 5: points that coincide give "unknown", never 0 or 180 as if measured.
@pytest.mark.parametrize(
    "measure",
    [
        lambda p, q: joint_angle(p, p, q),  # a on the vertex
        lambda p, q: joint_angle(q, p, p),  # c on the vertex
        lambda p, q: joint_angle(p, q, p),  # a and c the same: 0 deg as if folded
        lambda p, q: segment_angle(p, p),
        lambda p, q: segment_angle(p, p, "vertical"),
        lambda p, q: relative_position(p, p, 100.0),
        lambda p, q: relative_position(p, p, 100.0, "x"),
        lambda p, q: distance_ratio(p, p, 100.0),
        lambda p, q: distance_ratio(p, p, 100.0, axis="y"),
        lambda p, q: relative_position(p, q, 0.0),  # zero scale
        lambda p, q: distance_ratio(p, q, 0.0),
    ],
)
def test_coinciding_points_give_unknown(measure):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no division by zero on the way
        assert np.isnan(measure(pt(3, 4), pt(10, 20)))
        batch = measure(np.stack([pt(3, 4), pt(-5, 7)]), np.stack([pt(10, 20), pt(0, 0)]))
    assert batch.shape == (2,) and np.isnan(batch).all()


def test_coincidence_is_per_person_in_a_batch():
    a = np.stack([pt(1, 0), pt(0, 0), pt(1, 0)])
    vertex = np.stack([pt(0, 0), pt(0, 0), pt(0, 0)])
    c = np.stack([pt(0, 1), pt(0, 1), pt(1, 0)])
    angles = joint_angle(a, vertex, c)
    assert angles[0] == pytest.approx(90)
    assert np.isnan(angles[1:]).all()  # a on the vertex; a and c the same point
    tilt = segment_angle(vertex, np.stack([pt(10, -10), pt(0, 0), pt(-10, 0)]))
    assert tilt[0] == pytest.approx(45) and np.isnan(tilt[1]) and tilt[2] == pytest.approx(0)


def test_collapsed_body_has_no_scale_nor_view():
    kps = STANDING.copy()
    kps[[5, 6, 11, 12], :2] = (100, 100)  # shoulders and hips on one spot
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(body_scale(kps))
        assert np.isnan(frontality(kps))
        assert np.isnan(relative_position(kps[9], kps[0], body_scale(kps)))
    side = STANDING.copy()
    side[0, :2] = side[3, :2]  # nose on the (best) ear: no direction
    assert np.isnan(facing(side))
