"""Person detection: PicoDet pedestrian models, their three output layouts, NMS."""

from pose_demo.detection.picodet import PicoDet

__all__ = ["PicoDet"]
