"""Video files through the ffmpeg that imageio-ffmpeg bundles: probe, decode to BGR frames, encode H.264.

Decoding always yields upright, constant-rate frames: ffmpeg applies the rotation metadata, and a
variable-frame-rate source is resampled to its average rate (the rate players report for it), so that
frame ``k`` is at ``k / rate`` seconds and the output keeps the source's duration and audio sync.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Any

import cv2
import imageio_ffmpeg
import numpy as np
from PIL import Image

from pose_demo.i18n import UserError

# ultrafast: about a third of the CPU time of x264's "veryfast" (time that inference needs), for files
# about 1.3x as large as "superfast" ones; its Constrained Baseline profile plays in every browser.
X264_PRESET = "ultrafast"
# The largest frames accepted, as a pixel count (either way round): 4K UHD. Measured end to end on a 2 s
# clip (decode, queues, inference, x264 ultrafast; Python and ffmpeg together): 720p peaks at about
# 0.5 GB, 4K at 1.4 GB and 11 frames/s, 8K at 4.4 GB and 3 frames/s. 4K leaves room on a 16 GB, 2-vCPU
# Space for the image and webcam requests running beside one video; 8K would take a third of the memory
# and minutes for a 60 s clip.
MAX_SIZE = (3840, 2160)
# The demuxers an upload may be opened with (ffmpeg's names: "mov" reads MP4/MOV/M4V/3GP, "matroska"
# MKV/WebM, "mpeg" MPEG-PS, "asf" WMV, "gif" animated GIFs), decided by ffmpeg's probe of the content, not
# by the file's name. Playlists and reference formats (HLS, concat/ffconcat, image sequences, tee, ...) are
# not among them: they would make ffmpeg open the files or URLs named inside an upload. Only the ``file``
# protocol is allowed, so that nothing inside a container can name a network or nested protocol either.
CONTAINERS = ("mov", "matroska", "avi", "mpeg", "asf", "gif")


class VideoInputError(UserError, ValueError):
    """The input is not a usable video. The message says what was wrong and what to do."""


@dataclass(frozen=True)
class VideoInfo:
    """A video file as probed: size upright (after rotation), frame rate, frame count, duration."""

    path: str
    width: int
    height: int
    fps: float
    frames: int
    duration: float
    rotation: int  # clockwise degrees the stored frames are turned for display
    codec: str
    audio_codec: str | None

    @property
    def rate(self) -> Fraction:
        """The exact frame rate (29.97 is read as 30000/1001)."""
        return exact_rate(self.fps)

    def to_dict(self) -> dict[str, Any]:
        """The properties, with the file's name (not its path) as ``file``."""
        fields = {k: v for k, v in asdict(self).items() if k != "path"}
        return {"file": Path(self.path).name, **fields, "fps": round(self.fps, 3)}


def exact_rate(fps: float) -> Fraction:
    """``fps`` as a fraction, snapping ffmpeg's rounded NTSC rates (23.98, 29.97, 59.94) to N/1001."""
    ntsc = fps * 1.001
    if abs(ntsc - round(ntsc)) < 0.006 and abs(fps - round(fps)) > 0.006:
        return Fraction(round(ntsc) * 1000, 1001)
    return Fraction(fps).limit_denominator(1001)


def ffmpeg_exe() -> str:
    return imageio_ffmpeg.get_ffmpeg_exe()


def media_input(path: str | os.PathLike[str]) -> list[str]:
    """ffmpeg's arguments that open ``path`` as a plain local file in one of ``CONTAINERS``."""
    whitelists = ["-format_whitelist", ",".join(CONTAINERS), "-protocol_whitelist", "file"]
    return [*whitelists, "-i", f"file:{Path(path).absolute()}"]


def probe(path: str | os.PathLike[str]) -> VideoInfo:
    """Read a video's properties from ``ffmpeg -i`` (counting its frames by a stream copy: no decoding).

    Only the plain containers of ``CONTAINERS`` are read; anything else (a playlist or reference format
    whatever its name, an unknown format) is refused as unreadable, a photo as a still image.
    """
    path = Path(path)
    if not path.is_file():
        raise VideoInputError("error.video.no_file", path=path)
    if path.stat().st_size == 0:
        raise VideoInputError("error.video.empty")
    count = ["-map", "0:v:0?", "-c", "copy", "-f", "null", "-"]  # counts the frames, without decoding
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", *media_input(path), *count]
    log = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=300).stderr
    container = re.search(r"Input #0, ([\w,]+), from", log)
    if container is None and _is_picture(path):
        raise VideoInputError("error.video.still_image")
    if container is None:
        raise VideoInputError("error.video.unreadable")
    video = re.search(r"Stream #0:\d+.*?: Video: (\w+).*", log)
    audio = re.search(r"Stream #0:\d+.*?: Audio: (\w+)", log)
    counted = re.findall(r"frame=\s*(\d+)", log)
    if video is None and audio is not None:
        raise VideoInputError("error.video.audio_only")
    if video is None or not counted or int(counted[-1]) == 0:
        raise VideoInputError("error.video.no_frames")
    line = video.group(0)
    size = re.search(r", (\d+)x(\d+)", line)
    rate = re.search(r", ([\d.]+)(k?) fps", line) or re.search(r", ([\d.]+)(k?) tbr", line)
    if size is None or rate is None:
        raise VideoInputError("error.video.no_size")
    fps = float(rate.group(1)) * (1000 if rate.group(2) else 1)
    width, height = int(size.group(1)), int(size.group(2))
    rotation = _rotation(log)
    if rotation % 180:
        width, height = height, width
    frames = int(counted[-1])
    duration = re.search(r"Duration: (\d+):(\d+):([\d.]+)", log)
    seconds = (
        3600 * int(duration.group(1)) + 60 * int(duration.group(2)) + float(duration.group(3))
        if duration
        else frames / fps
    )
    return VideoInfo(
        str(path), width, height, fps, frames, seconds, rotation, video.group(1), audio and audio.group(1)
    )


def _is_picture(path: Path) -> bool:
    """Whether Pillow recognises the file as a picture (from its header only)."""
    try:
        with Image.open(path):
            return True
    except (OSError, ValueError, Image.DecompressionBombError):
        return False


def _rotation(log: str) -> int:
    """Clockwise display rotation: from the display matrix (counter-clockwise) or an old ``rotate`` tag."""
    matrix = re.search(r"rotation of (-?[\d.]+) degrees", log)
    if matrix:
        return round(-float(matrix.group(1))) % 360
    tag = re.search(r"rotate\s*:\s*(-?\d+)", log)
    return int(tag.group(1)) % 360 if tag else 0


def even_size(width: int, height: int, scale: float = 1.0) -> tuple[int, int]:
    """``scale`` x the size, rounded to even numbers (yuv420p needs them), at least 2 x 2."""
    return max(2, 2 * round(width * scale / 2)), max(2, 2 * round(height * scale / 2))


def decode(
    info: VideoInfo,
    size: tuple[int, int],
    rate: Fraction,
    max_frames: int | None = None,
    max_pixels: int | None = None,
) -> Iterator[np.ndarray]:
    """Upright BGR frames of ``size`` (w, h) at a constant ``rate`` (frames are dropped or repeated to fit).

    Undecodable parts of a damaged file are skipped. Decoding stops at a stored frame of over
    ``max_pixels`` pixels (whatever the header said). Closing the generator stops ffmpeg.
    """
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "quiet"]
    cmd += ["-max_pixels", str(max_pixels)] if max_pixels is not None else []  # the decoder refuses more
    cmd += [*media_input(info.path), "-map", "0:v:0"]
    cmd += ["-vf", f"fps={rate},scale={size[0]}:{size[1]}:flags=area"]
    cmd += ["-frames:v", str(max_frames)] if max_frames is not None else []
    cmd += ["-f", "rawvideo", "-pix_fmt", "bgr24", "-"]
    frame_bytes = size[0] * size[1] * 3
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as process:
        assert process.stdout is not None
        try:
            while len(data := process.stdout.read(frame_bytes)) == frame_bytes:
                yield np.frombuffer(data, np.uint8).reshape(size[1], size[0], 3)
        finally:
            process.kill()


def frame_at(info: VideoInfo, time_s: float, height: int) -> np.ndarray | None:
    """The upright BGR frame shown at ``time_s`` seconds, scaled to ``height`` pixels high (even width),
    or None past the end. Seeks the input, so that a frame late in a long file costs no more than one early.
    """
    size = even_size(info.width, info.height, height / info.height)
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "quiet"]
    cmd += ["-max_pixels", str(info.width * info.height), "-ss", f"{max(0.0, time_s):.3f}"]
    cmd += [*media_input(info.path), "-map", "0:v:0", "-frames:v", "1"]
    cmd += ["-vf", f"scale={size[0]}:{size[1]}:flags=area", "-f", "rawvideo", "-pix_fmt", "bgr24", "-"]
    data = subprocess.run(cmd, capture_output=True, timeout=60).stdout
    if len(data) != size[0] * size[1] * 3:
        return None
    return np.frombuffer(data, np.uint8).reshape(size[1], size[0], 3)


class H264Writer:
    """Encodes BGR frames to a browser-playable MP4 (H.264, yuv420p, +faststart) by piping them to ffmpeg.

    Frames are converted to yuv420p here (OpenCV, BT.601 limited range, as ffmpeg's own conversion): about
    7x less CPU than ffmpeg's conversion from BGR, and half the bytes through the pipe. ``size`` must be even
    (``even_size``), as yuv420p needs.

    ``audio_from``: a file whose first audio track is muxed in (re-encoded to AAC), its first
    ``audio_seconds`` only if given (the length of the video, so that all frames are kept: ``-shortest``
    can cut the last ones).
    Use as a context manager: on an error inside the block, ffmpeg is stopped and the file removed.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        size: tuple[int, int],
        rate: Fraction,
        audio_from: str | None = None,
        audio_seconds: float | None = None,
        preset: str = X264_PRESET,
        crf: int = 23,
    ) -> None:
        if size[0] % 2 or size[1] % 2:
            raise ValueError(
                f"H.264 (yuv420p) needs an even frame size, not {size[0]}x{size[1]}: see even_size"
            )
        self.path = Path(path)
        cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y"]
        cmd += ["-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{size[0]}x{size[1]}", "-r", str(rate)]
        cmd += ["-i", "-"]
        if audio_from is not None:
            cmd += ["-t", str(audio_seconds)] if audio_seconds is not None else []
            cmd += [*media_input(audio_from), "-map", "0:v", "-map", "1:a:0", "-c:a", "aac"]
        cmd += ["-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-pix_fmt", "yuv420p"]
        cmd += ["-movflags", "+faststart", str(self.path)]
        self._process = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE)

    def write(self, frame: np.ndarray) -> None:
        assert self._process.stdin is not None
        self._process.stdin.write(cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420).data)

    def close(self) -> None:
        """Finish the file; raises RuntimeError with ffmpeg's message if encoding failed."""
        _, err = self._process.communicate()
        if self._process.returncode != 0:
            raise RuntimeError(f"ffmpeg could not encode {self.path}: {err.decode(errors='replace').strip()}")

    def abort(self) -> None:
        self._process.kill()
        self._process.communicate()
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> H264Writer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def encode_jpegs(
    source: str | os.PathLike[str],
    output: str | os.PathLike[str],
    size: tuple[int, int],
    rate: Fraction,
    frames: int,
    preset: str = X264_PRESET,
) -> Path:
    """A file of JPEGs one after the other (a motion JPEG, as the webcam records a session) encoded to a
    browser-playable MP4 (H.264) of ``size`` (even) at ``rate``, its first ``frames`` only; the MP4's path.
    Raises RuntimeError with ffmpeg's message if it fails."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]
    cmd += ["-f", "mjpeg", "-framerate", str(rate), "-i", f"file:{Path(source).absolute()}"]
    cmd += ["-frames:v", str(frames), "-vf", f"scale={size[0]}:{size[1]}", "-r", str(rate)]
    cmd += ["-c:v", "libx264", "-preset", preset, "-pix_fmt", "yuv420p", "-movflags", "+faststart"]
    done = subprocess.run([*cmd, str(output)], capture_output=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(
            f"ffmpeg could not encode {output}: {done.stderr.decode(errors='replace').strip()}"
        )
    return Path(output)
