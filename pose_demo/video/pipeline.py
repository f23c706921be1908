"""A video file end to end: probe -> decode -> PoseStream (detect, track, smooth, rules, draw) -> H.264.

Decoding and encoding run in ffmpeg processes fed by worker threads (the encoding thread also draws),
overlapped with inference in the calling thread through bounded queues, so that inference sets the pace.
Nothing is drawn when no video is written.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, nullcontext
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from pose_demo.analysis import AnalysisOptions
from pose_demo.overlap import WriteBehind, prefetch, timed
from pose_demo.predictor import UniModel
from pose_demo.results import FrameResult, Person
from pose_demo.stream import PoseStream
from pose_demo.timing import StageTimer
from pose_demo.video.io import X264_PRESET, H264Writer, VideoInfo, VideoInputError, decode, even_size, probe
from pose_demo.visualization.draw import DrawOptions

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class VideoOptions:
    """How to process a video: the analysis and drawing options, and what concerns video files only.

    max_duration_s: longer videos are refused (VideoInputError) before any work.
    max_frames: process only the first frames (after the stride); None: all.
    frame_stride: keep every n-th frame; the output plays at the source rate / n, so durations match.
    output_scale: frames are scaled by this at decoding: inference, drawing, output and exported
        coordinates are all in the scaled pixels.
    preset: the x264 speed preset, trading encoding time (CPU taken from inference) for file size.
    queue_size: frames decoded ahead, and frames waiting to be encoded.
    """

    analysis: AnalysisOptions = AnalysisOptions()
    draw: DrawOptions = DrawOptions()
    max_duration_s: float = 600.0
    max_frames: int | None = None
    frame_stride: int = 1
    output_scale: float = 1.0
    preset: str = X264_PRESET
    queue_size: int = 4

    def __post_init__(self) -> None:
        if self.frame_stride < 1 or (self.max_frames or 1) < 1 or self.queue_size < 1:
            raise ValueError("frame_stride, max_frames and queue_size must be at least 1")
        if self.output_scale <= 0 or self.max_duration_s <= 0:
            raise ValueError("output_scale and max_duration_s must be positive")


@dataclass
class FrameRecord:
    """One processed frame: its index in the source (at the source rate), its time, its persons."""

    index: int
    time: float
    persons: list[Person]


@dataclass
class VideoRun:
    """What ``process_video`` did: the source, the processed frames, timings."""

    info: VideoInfo
    size: tuple[int, int]  # (width, height) of the processed frames
    rate: Fraction  # frames per second of the processed frames (and of the output video)
    frame_stride: int
    frames: list[FrameRecord] = field(default_factory=list)
    output: Path | None = None
    seconds: float = 0.0  # wall clock, decode to encode
    # mean milliseconds per frame by stage, each in its own thread (decode and encode: waiting on ffmpeg)
    stage_ms: dict[str, float] = field(default_factory=dict)

    @property
    def track_ids(self) -> list[int]:
        """The ids of the tracks, the longest-followed first."""
        counts = Counter(p.track_id for f in self.frames for p in f.persons if p.track_id is not None)
        return sorted(counts, key=lambda t: (-counts[t], t))

    @property
    def fps(self) -> float:
        """Frames processed per second, end to end."""
        return len(self.frames) / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        """The source and processing info (the ``video`` part of the JSON export)."""
        return {
            **self.info.to_dict(),
            "processed": {
                "width": self.size[0],
                "height": self.size[1],
                "fps": round(float(self.rate), 3),
                "frame_stride": self.frame_stride,
                "frames": len(self.frames),
            },
        }


def check_video(source: str | os.PathLike[str] | VideoInfo, max_duration_s: float) -> VideoInfo:
    """The video's properties (probed, unless already given); VideoInputError if it is no usable video
    or lasts over ``max_duration_s``."""
    info = source if isinstance(source, VideoInfo) else probe(source)
    if info.duration > max_duration_s:
        raise VideoInputError(
            f"The video lasts {info.duration:.0f} s, longer than the {max_duration_s:.0f} s limit: "
            "cut it shorter and try again."
        )
    return info


def process_video(
    model: UniModel,
    source: str | os.PathLike[str] | VideoInfo,
    output: str | os.PathLike[str] | None = None,
    options: VideoOptions = VideoOptions(),
    progress: Progress | None = None,
) -> VideoRun:
    """Find, track, smooth (and judge) everyone in a video; write the annotated H.264 video to ``output``.

    ``source`` is a path, or what ``check_video`` returned for it (so that it is not probed again).
    Raises VideoInputError for files that are not usable videos or are over the duration limit.
    ``progress(done_frames, total_frames)`` is called after every frame.
    """
    info = check_video(source, options.max_duration_s)
    size = even_size(info.width, info.height, options.output_scale)
    run = VideoRun(info, size, info.rate / options.frame_stride, options.frame_stride)
    total = -(-info.frames // options.frame_stride)
    if options.max_frames is not None:
        total = min(total, options.max_frames)
    stream = PoseStream(model, options.analysis, options.draw, max_latency_s=None)
    decode_timer, encode_timer = StageTimer(enabled=True), StageTimer(enabled=True)  # one per thread
    stream.timer.enabled = True
    start = time.perf_counter()
    frames = decode(info, size, run.rate, options.max_frames)
    writer = None
    if output is not None:
        audio = info.path if info.audio_codec else None
        writer = H264Writer(output, size, run.rate, audio, float(total / run.rate), options.preset)
    with (
        closing(frames),
        writer or nullcontext(),
        ThreadPoolExecutor(1) as reader,
        ThreadPoolExecutor(1) as encoder,
    ):
        encoding = WriteBehind(encoder, options.queue_size)
        decoded = prefetch(timed(frames, decode_timer, "decode"), options.queue_size, reader)
        for k, frame in enumerate(decoded):
            timestamp = float(k / run.rate)
            result = stream.analyse(frame, timestamp)
            run.frames.append(FrameRecord(k * options.frame_stride, timestamp, result.persons))
            if writer is not None:
                encoding.submit(_draw_and_write, stream, frame, result, writer, encode_timer)
            if progress is not None:
                progress(k + 1, max(total, k + 1))
        encoding.wait()
        if not run.frames:
            raise VideoInputError("No frame of this video could be decoded: the file may be damaged.")
    run.output = writer and writer.path
    run.seconds = time.perf_counter() - start
    totals = {**stream.timer.totals, **decode_timer.totals, **encode_timer.totals}
    run.stage_ms = {name: ms / len(run.frames) for name, ms in totals.items()}
    return run


def _draw_and_write(
    stream: PoseStream, frame: np.ndarray, result: FrameResult, writer: H264Writer, timer: StageTimer
) -> None:
    with timer.stage("draw"):
        annotated = stream.draw(frame, result)
    with timer.stage("encode"):
        writer.write(annotated)
