"""Video files: probe, decode, process with PoseStream, encode browser-playable H.264, export per frame."""

from __future__ import annotations

from pose_demo.video.io import H264Writer, VideoInfo, VideoInputError, probe
from pose_demo.video.pipeline import (
    FrameRecord,
    VideoOptions,
    VideoRun,
    VideoTooLongError,
    check_video,
    process_video,
)

__all__ = [
    "FrameRecord",
    "H264Writer",
    "VideoInfo",
    "VideoInputError",
    "VideoOptions",
    "VideoRun",
    "VideoTooLongError",
    "check_video",
    "probe",
    "process_video",
]
