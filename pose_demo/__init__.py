"""pose-demo: PicoDet + PP-TinyPose human pose estimation, tracking, smoothing and posture rules.

The few things a user calls: ``UniModel`` (the two models), ``analyse_image`` with ``AnalysisOptions``
(one picture), ``PoseStream`` (frames in time), ``process_video`` with ``VideoOptions`` (a file),
``RuleSet`` (posture rules), ``draw_result`` with ``DrawOptions``, ``load_image``.
"""

from pose_demo.analysis import AnalysisOptions, analyse_image
from pose_demo.image_input import ImageInputError, load_image
from pose_demo.predictor import UniModel
from pose_demo.results import Box, FrameResult, Person
from pose_demo.rules import RuleSet
from pose_demo.stream import PoseStream
from pose_demo.video import VideoOptions, process_video
from pose_demo.visualization.draw import DrawOptions, draw_result

__all__ = [
    "AnalysisOptions",
    "Box",
    "DrawOptions",
    "FrameResult",
    "ImageInputError",
    "Person",
    "PoseStream",
    "RuleSet",
    "UniModel",
    "VideoOptions",
    "analyse_image",
    "draw_result",
    "load_image",
    "process_video",
]
