"""A video file end to end: probe -> decode -> PoseStream (detect, track, smooth, rules, draw) -> H.264.

Decoding and encoding run in ffmpeg processes fed by worker threads (the encoding thread also draws),
overlapped with the analysis in the calling thread through bounded queues, so that inference sets the pace.
Frames the detector runs on depend on no earlier frame until tracking: their models run in worker threads,
``frames_in_flight`` at once (the model's ``streams`` let their requests run at the same time), and the
tracker, smoothers, rules and repetitions take them in frame order in the calling thread.
Nothing is drawn when no video is written.
"""

from __future__ import annotations

import math
import os
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing, nullcontext
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from pose_demo.analysis import AnalysisOptions
from pose_demo.exercises.schema import load_catalog
from pose_demo.exercises.tracks import PersonReps, count_reps
from pose_demo.i18n import Message, translate
from pose_demo.overlap import WriteBehind, prefetch, timed
from pose_demo.predictor import UniModel
from pose_demo.results import FrameResult, Person
from pose_demo.stream import PoseStream
from pose_demo.timing import StageTimer
from pose_demo.video.io import (
    MAX_SIZE,
    X264_PRESET,
    H264Writer,
    VideoInfo,
    VideoInputError,
    decode,
    even_size,
    exact_rate,
    probe,
)
from pose_demo.visualization.draw import DrawOptions

Progress = Callable[[int, int], None]
# A run is said to have ended early when it decoded fewer frames than the header promises by more than
# this (and 2 frames): an audio track can outlast the picture a little, which the header's duration counts.
ENDED_EARLY_SLACK_S = 0.5
# Frames analysed per second at most: a faster source (a 1000 frames/s file is 10,000 frames in 10 s) is
# sampled at this rate, which is as fast as any movement a coach films needs.
MAX_RATE = 60


@dataclass(frozen=True)
class VideoOptions:
    """How to process a video: the analysis and drawing options, and what concerns video files only.

    max_duration_s: longer videos are refused (VideoInputError) before any work, by their header and
        their counted frames; and decoding stops there, whatever the header said
        (``VideoRun.stopped_at_limit``).
    max_size: videos whose frames have more pixels than this (width, height) are refused before any work,
        and frames larger than it are not decoded (see ``io.MAX_SIZE``).
    max_frames: process only the first frames (after the stride); None: all.
    frame_stride: keep every n-th frame; the output plays at the source rate / n, so durations match.
    max_rate: frames per second analysed at most: a source faster than this (after the stride) is sampled
        at this rate (``VideoRun.sampled_from`` says from what), so that the work per second of video is
        bounded whatever the file claims.
    output_scale: frames are scaled by this at decoding: inference, drawing, output and exported
        coordinates are all in the scaled pixels.
    preset: the x264 speed preset, trading encoding time (CPU taken from inference) for file size.
    queue_size: frames decoded ahead, and frames waiting to be encoded.
    frames_in_flight: frames whose models run at once, in worker threads (frames the detector runs on
        only: see ``PoseStream.detects``); the results are the same as with 1, which runs each frame's
        models in the calling thread, one frame after the other. More than 1 helps with a model of as
        many ``streams``.
    """

    analysis: AnalysisOptions = AnalysisOptions()
    draw: DrawOptions = DrawOptions()
    max_duration_s: float = 600.0
    max_size: tuple[int, int] = MAX_SIZE
    max_frames: int | None = None
    frame_stride: int = 1
    max_rate: float = MAX_RATE
    output_scale: float = 1.0
    preset: str = X264_PRESET
    queue_size: int = 4
    frames_in_flight: int = 2

    def __post_init__(self) -> None:
        if min(self.frame_stride, self.max_frames or 1, self.queue_size, self.frames_in_flight) < 1:
            raise ValueError("frame_stride, max_frames, queue_size and frames_in_flight must be at least 1")
        if self.output_scale <= 0 or self.max_duration_s <= 0 or min(self.max_size) < 1 or self.max_rate <= 0:
            raise ValueError("output_scale, max_duration_s, max_size and max_rate must be positive")


@dataclass
class FrameRecord:
    """One processed frame: its index in the source (at the source rate), its time, its persons."""

    index: int
    time: float
    persons: list[Person]


@dataclass
class VideoRun:
    """What ``process_video`` did: the source, the processed frames, timings, and whether it got them all."""

    info: VideoInfo
    size: tuple[int, int]  # (width, height) of the processed frames
    rate: Fraction  # frames per second of the processed frames (and of the output video)
    frame_stride: int
    frames: list[FrameRecord] = field(default_factory=list)
    output: Path | None = None
    seconds: float = 0.0  # wall clock, decode to encode
    # mean milliseconds per frame by stage, each in its own thread (decode and encode: waiting on ffmpeg;
    # enhance and pose: added up over the frames in flight at once)
    stage_ms: dict[str, float] = field(default_factory=dict)
    # frames the video's header promises (its counted frames, or its duration x rate if more), after the
    # stride and max_frames
    frames_expected: int = 0
    # "duration": decoding stopped at max_duration_s with frames left (a header understating the length)
    stopped_at_limit: str | None = None
    max_duration_s: float | None = None  # the limit it ran under
    # repetitions per track, counted on the whole run when an exercise was asked for (longest track first)
    reps: list[PersonReps] | None = None
    # the source's frame rate (after the stride) when it was over VideoOptions.max_rate and sampled
    sampled_from: float | None = None

    def count_reps(self, analysis: AnalysisOptions) -> None:
        """``reps``: the repetitions per track over the whole run of the exercise ``analysis`` asks for
        (none asked: None)."""
        if analysis.exercise is None:
            self.reps = None
            return
        frames_in_time = ((f.time, f.persons) for f in self.frames)
        self.reps = count_reps(frames_in_time, load_catalog(analysis.exercise_catalog), analysis.exercise)

    @property
    def ended_early(self) -> bool:
        """Fewer frames than the header promises could be decoded: the file is cut or damaged."""
        slack = max(2, math.ceil(ENDED_EARLY_SLACK_S * self.rate))
        return self.stopped_at_limit is None and len(self.frames) < self.frames_expected - slack

    @property
    def complete(self) -> bool:
        """Every frame of the video (after the stride and max_frames) was processed."""
        return self.stopped_at_limit is None and not self.ended_early

    @property
    def duration(self) -> float:
        """Seconds of video processed."""
        return float(len(self.frames) / self.rate)

    def notice(self, controls: dict[str, str] | None = None, language: str = "en") -> str | None:
        """A sentence in ``language`` for incomplete or sampled runs, None for the others. ``controls`` names
        what sets each limit, in that language (``{"duration": "Max duration slider"}``), said after it."""
        sampled = self._sampled_notice(language)
        shortfall = self._shortfall_notice(controls, language)
        return " ".join(n for n in (shortfall, sampled) if n) or None

    def _sampled_notice(self, language: str) -> str | None:
        if self.sampled_from is None:
            return None
        return translate("video.notice.sampled", language, fps=self.sampled_from, rate=float(self.rate))

    def _shortfall_notice(self, controls: dict[str, str] | None, language: str) -> str | None:
        frames = len(self.frames)
        if self.stopped_at_limit == "duration":
            control = (controls or {}).get("duration")
            key, named = (
                ("video.notice.stopped_by", {"control": control}) if control else ("video.notice.stopped", {})
            )
            limit = self.max_duration_s
            return translate(key, language, limit=limit, duration=self.duration, frames=frames, **named)
        if self.ended_early:
            return translate(
                "video.notice.ended_early", language, frames=frames, expected=self.frames_expected
            )
        return None

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
                **({"sampled_from_fps": round(self.sampled_from, 3)} if self.sampled_from else {}),
                **self._shortfall(),
            },
        }

    def _shortfall(self) -> dict[str, Any]:
        """For incomplete runs only (complete runs keep their JSON): what was processed, of what."""
        if self.complete:
            return {}
        why = {"stopped_at_limit": self.stopped_at_limit} if self.stopped_at_limit else {"ended_early": True}
        return {
            "duration": round(self.duration, 3),
            "frames_expected": self.frames_expected,
            "complete": False,
            **why,
        }


def check_video(
    source: str | os.PathLike[str] | VideoInfo, max_duration_s: float, max_size: tuple[int, int] = MAX_SIZE
) -> VideoInfo:
    """The video's properties (probed, unless already given); VideoInputError if it is no usable video,
    lasts over ``max_duration_s`` (by its header, or by its counted frames if they last longer: a header
    can understate it) or has frames of more pixels than ``max_size``."""
    info = source if isinstance(source, VideoInfo) else probe(source)
    if info.width * info.height > max_size[0] * max_size[1]:
        raise VideoInputError(
            "video.error.too_large",
            width=info.width,
            height=info.height,
            max_width=max_size[0],
            max_height=max_size[1],
            megapixels=max_size[0] * max_size[1] / 1e6,
        )
    duration = max(info.duration, info.frames / info.fps)
    if duration > max_duration_s:
        raise VideoTooLongError(duration, max_duration_s)
    return info


class VideoTooLongError(VideoInputError):
    """A video over the duration limit; ``duration`` and ``limit`` in seconds, for a caller to say which
    control raises the limit: ``remedy`` (default ``video.remedy.cut``; the app's is
    ``Message("video.remedy.slider")``)."""

    def __init__(self, duration: float, limit: float, remedy: Message | None = None) -> None:
        remedy = Message("video.remedy.cut") if remedy is None else remedy
        super().__init__("video.error.too_long", duration=duration, limit=limit, remedy=remedy)
        self.duration = duration
        self.limit = limit


def processed_rate(info: VideoInfo, options: VideoOptions) -> Fraction:
    """Frames per second analysed: the source's after the stride, at most ``options.max_rate``."""
    return min(info.rate / options.frame_stride, exact_rate(options.max_rate))


def process_video(
    model: UniModel,
    source: str | os.PathLike[str] | VideoInfo,
    output: str | os.PathLike[str] | None = None,
    options: VideoOptions = VideoOptions(),
    progress: Progress | None = None,
) -> VideoRun:
    """Find, track, smooth (and judge) everyone in a video; write the annotated H.264 video to ``output``.

    ``source`` is a path, or what ``check_video`` returned for it (so that it is not probed again).
    Raises VideoInputError for files that are not usable videos or are over the duration or size limit.
    Decoding stops at the duration limit whatever the header said (``run.stopped_at_limit``); a file that
    ends before its header says is processed as far as it goes (``run.ended_early``).
    ``progress(done_frames, total_frames)`` is called after every frame.
    """
    info = check_video(source, options.max_duration_s, options.max_size)
    size = even_size(info.width, info.height, options.output_scale)
    run = VideoRun(info, size, processed_rate(info, options), options.frame_stride)
    if run.rate < info.rate / options.frame_stride:
        run.sampled_from = float(info.rate / options.frame_stride)
    run.max_duration_s = options.max_duration_s
    promised = max(info.frames, round(info.duration * info.fps))  # a cut file keeps its header's duration
    kept = run.rate / info.rate  # frames analysed per source frame
    run.frames_expected = math.ceil(promised * kept)
    # The frames within the duration limit (at k / rate <= max_duration_s), and one more to tell whether
    # the video goes on past it.
    limit = math.floor(Fraction(options.max_duration_s) * run.rate) + 1
    total = min(math.ceil(info.frames * kept), limit)
    if options.max_frames is not None:
        run.frames_expected = min(run.frames_expected, options.max_frames)
        total = min(total, options.max_frames)
    to_decode = (
        options.max_frames if options.max_frames is not None and options.max_frames <= limit else limit + 1
    )
    stream = PoseStream(model, options.analysis, options.draw, max_latency_s=None)
    decode_timer, encode_timer = StageTimer(enabled=True), StageTimer(enabled=True)  # one per thread
    stream.timer.enabled = True
    start = time.perf_counter()
    frames = decode(info, size, run.rate, to_decode, options.max_size[0] * options.max_size[1])
    writer = None
    if output is not None:
        audio = info.path if info.audio_codec else None
        writer = H264Writer(output, size, run.rate, audio, float(total / run.rate), options.preset)
    with (
        closing(frames),
        writer or nullcontext(),
        ThreadPoolExecutor(1) as reader,
        ThreadPoolExecutor(1) as encoder,
        ThreadPoolExecutor(options.frames_in_flight) as finder,
    ):
        encoding = WriteBehind(encoder, options.queue_size)
        decoded = prefetch(timed(frames, decode_timer, "decode"), options.queue_size, reader)
        in_flight = options.frames_in_flight
        for k, (frame, found) in enumerate(_found_ahead(stream, decoded, finder, in_flight, limit)):
            if k == limit:  # past the duration limit: the header understated the video's length
                run.stopped_at_limit = "duration"
                break
            timestamp = float(k / run.rate)
            result = stream.analyse(frame, timestamp, found)
            run.frames.append(FrameRecord(round(k / kept), timestamp, result.persons))
            if writer is not None:
                encoding.submit(_draw_and_write, stream, frame, result, writer, encode_timer)
            if progress is not None:
                progress(k + 1, max(total, k + 1))
        encoding.wait()
        if not run.frames:
            raise VideoInputError("video.error.nothing_decoded")
    run.output = writer and writer.path
    analysis = options.analysis
    if analysis.exercise is not None:  # counted again on the whole run: the final word on each track
        with stream.timer.stage("reps"):
            run.count_reps(analysis)
    run.seconds = time.perf_counter() - start
    totals = {**stream.timer.totals, **decode_timer.totals, **encode_timer.totals}
    run.stage_ms = {name: ms / len(run.frames) for name, ms in totals.items()}
    return run


def _found_ahead(
    stream: PoseStream, frames: Iterator[np.ndarray], pool: ThreadPoolExecutor, ahead: int, limit: int
) -> Iterator[tuple[np.ndarray, list[Person] | None]]:
    """The frames, each with the persons found in it (``PoseStream.find``) by ``pool``'s workers, up to
    ``ahead`` frames in advance, for the frames the detector runs on before ``limit``; None for the others
    (which ``PoseStream.analyse`` finds itself, in order), and for every frame when ``ahead`` is 1."""
    pending: deque[tuple[np.ndarray, Future[tuple[list[Person], dict[str, float]]] | None]] = deque()
    for k, frame in enumerate(frames):
        ahead_of_time = ahead > 1 and k < limit and stream.detects(k)
        pending.append((frame, pool.submit(_find, stream, frame) if ahead_of_time else None))
        if len(pending) >= ahead:
            yield _collect(stream, *pending.popleft())
    while pending:
        yield _collect(stream, *pending.popleft())


def _find(stream: PoseStream, frame: np.ndarray) -> tuple[list[Person], dict[str, float]]:
    """The persons in a frame, and the milliseconds of its stages (each worker thread times its own)."""
    timer = StageTimer(enabled=True)
    return stream.find(frame, timer), timer.totals


def _collect(
    stream: PoseStream, frame: np.ndarray, job: Future[tuple[list[Person], dict[str, float]]] | None
) -> tuple[np.ndarray, list[Person] | None]:
    """The frame, and the persons found in it ahead (None if not), their stage times added to the stream's."""
    if job is None:
        return frame, None
    found, stage_ms = job.result()
    for name, ms in stage_ms.items():
        stream.timer.totals[name] += ms
    return frame, found


def _draw_and_write(
    stream: PoseStream, frame: np.ndarray, result: FrameResult, writer: H264Writer, timer: StageTimer
) -> None:
    with timer.stage("draw"):
        annotated = stream.draw(frame, result)
    with timer.stage("encode"):
        writer.write(annotated)
