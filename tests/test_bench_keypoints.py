"""``bench-keypoints``'s measures on hand-made tracks: the near side's angle at turning points, and the
labelled turning times it reads."""

from __future__ import annotations

import numpy as np

from pose_demo.bench.keypoints import ELBOW, labelled_times, speed_clip, turning_angles, turning_checks
from pose_demo.geometry import make_keypoints
from tests.conftest import VIDEOS


def _pose(elbow_deg: float, far_score: float) -> np.ndarray:
    """Side on, the near (left) arm bent ``elbow_deg`` degrees; the far (right) arm straight, scored
    ``far_score``."""
    theta = np.radians(elbow_deg)
    near = make_keypoints(
        {
            "left_shoulder": (100, 100),
            "left_elbow": (100, 200),
            "left_wrist": (100 + 80 * np.sin(theta), 200 - 80 * np.cos(theta)),
        },
        score=0.9,
    )
    far = make_keypoints({"right_shoulder": (100, 100), "right_elbow": (100, 200), "right_wrist": (100, 280)})
    far[:, 2] *= far_score
    return np.maximum(near, far)


def test_turning_angles_read_the_near_side_around_each_turn() -> None:
    times = np.arange(0, 3, 0.1)
    angles = np.where(np.abs(times - 1.0) < 0.35, 80.0, 170.0)  # a bottom at 1 s, straight elsewhere
    keypoints = np.stack([_pose(a, far_score=0.5) for a in angles])
    read = turning_angles(times, keypoints, [1.0, 2.5], ELBOW)
    np.testing.assert_allclose(read, [80.0, 170.0], atol=1e-6)
    keypoints[:, :, 2] = 0.0  # nobody seen
    assert np.isnan(turning_angles(times, keypoints, [1.0], ELBOW)[0])


def test_the_checked_clips_come_from_the_labels_by_exercise() -> None:
    """The clips are the labelled push-ups and sit-ups (none named in the code), each with its times."""
    times = labelled_times(VIDEOS)
    checks = turning_checks(VIDEOS)
    assert len(checks) >= 3 and {c.joints[1] for c in checks} == {"left_elbow", "left_hip"}
    for check in checks:
        assert len(times[check.clip]) >= 5 and check.plausible[0] < check.plausible[1]
    assert speed_clip(VIDEOS).is_file()
