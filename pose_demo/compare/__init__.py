"""Compare an athlete's movement with a reference movement: both clips analysed, per-frame pose features
independent of position, size and image side, aligned in time (DTW), scored and explained
(see docs/compare.md). One module per stage: ``motion`` (the main person of a clip), ``features``,
``reps`` (repetitions matched), ``align``, ``report``; ``compare`` puts them together."""

from pose_demo.compare.compare import Comparison, compare_motions, compare_videos
from pose_demo.compare.motion import CompareError, Motion, analyse_clip, main_motion

__all__ = [
    "CompareError",
    "Comparison",
    "Motion",
    "analyse_clip",
    "compare_motions",
    "compare_videos",
    "main_motion",
]
