"""Compare an athlete's movement with a reference movement: both clips analysed, per-frame pose features
independent of position, size and image side, aligned in time (DTW), scored and explained
(see docs/compare.md). One module per stage: ``motion`` (the main person of a clip or photo),
``features``, ``reps`` (repetitions matched), ``align``, ``report``; ``compare`` puts them together;
``render`` draws the side-by-side video or picture and the angle plot."""

from pose_demo.compare.compare import Comparison, compare_motions, compare_photos, compare_videos, is_photo
from pose_demo.compare.motion import CompareError, Motion, analyse_clip, main_motion, photo_motion
from pose_demo.compare.render import angle_figure, side_by_side_picture, write_side_by_side

__all__ = [
    "CompareError",
    "Comparison",
    "Motion",
    "analyse_clip",
    "angle_figure",
    "compare_motions",
    "compare_photos",
    "compare_videos",
    "is_photo",
    "main_motion",
    "photo_motion",
    "side_by_side_picture",
    "write_side_by_side",
]
