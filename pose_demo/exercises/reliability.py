"""Where a measurement is trusted: per frame of one person's track, whether the joints a measure uses were
placed where a body can be (pure numpy).

Scores are the first gate (``geometry``: a keypoint scored below ``min_score`` makes the measure unknown).
Two more catch joints the model placed confidently but wrongly (at push-up bottoms it puts the elbows on
the back, and the elbow "angle" reads 13 degrees):

- **Bone lengths against the track's own median.** A limb bone the measure spans (upper arm, forearm,
  thigh, shin) shorter than ``MIN_BONE_RATIO`` or longer than ``MAX_BONE_RATIO`` of its median length on
  the track is misplaced, or turned so far towards the camera that its angle in the image means little.
- **Physically possible ranges.** An elbow or knee angle below ``MIN_JOINT_ANGLE`` degrees: the arm or leg
  cannot fold that far.

Where either fails, the measure is unknown in that frame (NaN): a check judged only on such frames is
"not measurable here" (``implausible``), never ok, and plots show a gap.
"""

from __future__ import annotations

import numpy as np

from pose_demo.geometry import point
from pose_demo.results import MIN_KEYPOINT_SCORE
from pose_demo.rules.schema import Measure
from pose_demo.skeleton import COCO17
from pose_demo.tracking.bones import BONES

LIMB_BONES = frozenset(  # upper arms, forearms, thighs, shins, by keypoint names (``tracking.bones``'s)
    frozenset((COCO17.keypoints[a], COCO17.keypoints[b])) for a, b in BONES
)
MIN_BONE_RATIO = 0.5  # of the bone's median length on the track: shrunk to half or less, not measured
MAX_BONE_RATIO = 1.6  # no bone grows; 60 % longer is a misplaced joint
MIN_BONE_FRAMES = 5  # frames with the bone seen before its median says anything
MIN_JOINT_ANGLE = {"elbow": 30.0, "knee": 30.0}  # degrees: folded further is not a human arm or leg


def measure_bones(m: Measure) -> list[tuple[str, str]]:
    """The limb bones a measure spans: for a joint angle a-b-c, a-b and b-c; for a segment angle, a-b."""
    if m.primitive == "joint_angle":
        pairs = [m.points[:2], m.points[1:]]
    elif m.primitive == "segment_angle":
        pairs = [m.points[:2]]
    else:
        return []
    return [(a, b) for a, b in pairs if frozenset((a, b)) in LIMB_BONES]


def bone_ratio(keypoints: np.ndarray, a: str, b: str, min_score: float = MIN_KEYPOINT_SCORE) -> np.ndarray:
    """The bone a-b's length in each frame over its median length on the track, (N,); NaN where a or b is
    not seen, and everywhere when the bone was seen in fewer than ``MIN_BONE_FRAMES`` frames."""
    pa, pb = point(keypoints, a), point(keypoints, b)
    seen = (pa[..., 2] >= min_score) & (pb[..., 2] >= min_score)
    length = np.where(seen, np.linalg.norm(pa[..., :2] - pb[..., :2], axis=-1), np.nan)
    if np.count_nonzero(seen) < MIN_BONE_FRAMES:
        return np.full(length.shape, np.nan)
    median = float(np.nanmedian(length))
    return length / median if median > 0 else np.full(length.shape, np.nan)


def plausible(m: Measure, values: np.ndarray, keypoints: np.ndarray, min_score: float) -> np.ndarray:
    """Whether each frame's value of ``m`` (from ``keypoints``, (N, 17, 3)) can be trusted, (N,) bool:
    its bones at a usual length for the track and, for an elbow or knee angle, an angle a body can take.
    Frames where a bone's ratio is unknown are not rejected by it (too few frames to tell)."""
    ok = np.ones(np.shape(values), dtype=bool)
    if np.ndim(keypoints) != 3:
        return ok
    for a, b in measure_bones(m):
        ratio = bone_ratio(keypoints, a, b, min_score)
        ok &= np.isnan(ratio) | ((ratio >= MIN_BONE_RATIO) & (ratio <= MAX_BONE_RATIO))
    if m.primitive == "joint_angle":
        joint = m.points[1].removeprefix("left_").removeprefix("right_")
        if joint in MIN_JOINT_ANGLE:
            with np.errstate(invalid="ignore"):
                ok &= ~(np.asarray(values) < MIN_JOINT_ANGLE[joint])
    return ok
