"""Per-person tracking (SORT) and temporal keypoint smoothing (OneEuro, EMA, Kalman) per track."""

from __future__ import annotations

from pose_demo.tracking.smoothing import SMOOTHING_KINDS, PoseSmoother, filter_factory, make_smoother
from pose_demo.tracking.tracker import Tracker, box_from_keypoints, iou_matrix

__all__ = [
    "SMOOTHING_KINDS",
    "PoseSmoother",
    "Tracker",
    "box_from_keypoints",
    "filter_factory",
    "iou_matrix",
    "make_smoother",
]
