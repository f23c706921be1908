"""Top-down keypoints: crops warped from person boxes, PP-TinyPose heatmaps, DARK decoding."""

from pose_demo.pose_estimation.tinypose import TopDownKeypoints

__all__ = ["TopDownKeypoints"]
