"""pose-demo: PicoDet + PP-TinyPose human pose estimation, tracking, smoothing and posture rules."""

from pose_demo.image_input import ImageInputError, load_image
from pose_demo.results import Box, FrameResult, Person
from pose_demo.solution import UniModel

__all__ = ["Box", "FrameResult", "ImageInputError", "Person", "UniModel", "load_image"]
