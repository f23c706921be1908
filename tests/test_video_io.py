"""Video probing, decoding and H.264 encoding with the bundled ffmpeg, on short clips cut from real videos."""

from __future__ import annotations

import re
import struct
import subprocess
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from pose_demo.video.io import H264Writer, VideoInputError, decode, even_size, exact_rate, ffmpeg_exe, probe
from tests.conftest import IMAGES, VIDEOS

SQUAT = VIDEOS / "squat_side_view.mp4"


def ffmpeg(*args: str | Path) -> str:
    """Run the bundled ffmpeg; its log (stderr)."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120).stderr


def make_clip(dst: Path, seconds: float = 1.5, source: Path = SQUAT) -> Path:
    """The first seconds of a shared video, 320 px wide, H.264 with its AAC audio track."""
    ffmpeg("-i", source, "-t", seconds, "-vf", "scale=320:-2", "-c:v", "libx264", "-preset", "ultrafast",
           "-c:a", "aac", dst)  # fmt: skip
    return dst


def make_portrait(dst: Path, seconds: float = 1.5) -> Path:
    """An upright portrait clip, 180x320: the squatting man cropped from the shared video."""
    ffmpeg("-i", SQUAT, "-t", seconds, "-vf", "crop=306:544:390:0,scale=180:320", "-c:v", "libx264",
           "-preset", "ultrafast", "-c:a", "aac", dst)  # fmt: skip
    return dst


def make_phone_video(portrait: Path, dst: Path) -> Path:
    """``portrait`` as a phone stores it: frames turned a quarter counter-clockwise (landscape), and
    display metadata saying to turn them 90 degrees clockwise."""
    stored = dst.with_name("stored_" + dst.name)
    ffmpeg("-i", portrait, "-vf", "transpose=2", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "copy",
           stored)  # fmt: skip
    ffmpeg("-display_rotation", "-90", "-i", stored, "-c", "copy", dst)
    return dst


def make_vfr(dst: Path) -> Path:
    """2 s of variable frame rate: 1 s at 10 fps, then 1 s at 30 fps."""
    part = "[0:v]trim={}:{},setpts=PTS-STARTPTS,fps={},scale=320:-2[{}]"
    graph = f"{part.format(0, 1, 10, 'a')};{part.format(1, 2, 30, 'b')};[a][b]concat=n=2:v=1[v]"
    ffmpeg("-i", SQUAT, "-filter_complex", graph, "-map", "[v]",
           "-fps_mode", "vfr", "-c:v", "libx264", "-preset", "ultrafast", dst)  # fmt: skip
    return dst


def make_lying_mkv(dst: Path, seconds: int, header_seconds: float) -> Path:
    """``seconds`` of a tiny test pattern (64x48, 25 fps) in Matroska, its header's Duration rewritten to
    ``header_seconds`` (the frames and their timestamps are left as they are)."""
    pattern = f"testsrc=s=64x48:r=25:d={seconds}"
    ffmpeg("-f", "lavfi", "-i", pattern, "-c:v", "libx264", "-preset", "ultrafast", dst)
    data = bytearray(dst.read_bytes())
    at = data.index(b"\x44\x89\x88") + 3  # the Segment's Duration: an 8-byte float, in milliseconds
    assert struct.unpack(">d", data[at : at + 8]) == (seconds * 1000.0,)
    data[at : at + 8] = struct.pack(">d", header_seconds * 1000.0)
    dst.write_bytes(data)
    return dst


def top_level_boxes(path: Path) -> list[str]:
    """The types of an MP4 file's top-level boxes, in file order."""
    data, pos, boxes = path.read_bytes(), 0, []
    while pos + 8 <= len(data):
        boxes.append(data[pos + 4 : pos + 8].decode("latin-1"))
        pos += int.from_bytes(data[pos : pos + 4], "big")
    return boxes


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("video") / "clip.mp4")


def test_probe_reads_the_clip(clip: Path) -> None:
    info = probe(clip)
    assert (info.width, info.height, info.fps, info.frames) == (320, 182, 30.0, 45)
    assert info.duration == pytest.approx(1.5, abs=0.05)
    assert (info.codec, info.audio_codec, info.rotation) == ("h264", "aac", 0)
    assert info.to_dict() == {
        "file": "clip.mp4", "width": 320, "height": 182, "fps": 30.0, "frames": 45, "duration": 1.5,
        "rotation": 0, "codec": "h264", "audio_codec": "aac",
    }  # fmt: skip


def test_decode_yields_bgr_frames_of_the_asked_size(clip: Path) -> None:
    info = probe(clip)
    frames = list(decode(info, (160, 92), info.rate))
    assert len(frames) == 45
    assert frames[0].shape == (92, 160, 3) and frames[0].dtype == np.uint8
    assert frames[0].std() > 10  # a picture, not a blank frame
    assert len(list(decode(info, (320, 182), info.rate / 3))) == 15  # every third frame
    assert len(list(decode(info, (320, 182), info.rate, max_frames=7))) == 7


def test_rotated_video_is_decoded_upright(tmp_path: Path) -> None:
    portrait = make_portrait(tmp_path / "portrait.mp4")
    info = probe(make_phone_video(portrait, tmp_path / "phone.mp4"))
    assert (info.width, info.height, info.rotation) == (180, 320, 90)
    decoded = next(decode(info, (180, 320), info.rate)).astype(int)
    upright = next(decode(probe(portrait), (180, 320), info.rate)).astype(int)
    assert np.abs(decoded - upright).mean() < 3.0  # the same picture, up to encoding losses
    assert np.abs(decoded - upright[::-1, ::-1]).mean() > 20.0  # and not upside down


def test_variable_frame_rate_is_decoded_at_its_average_rate(tmp_path: Path) -> None:
    info = probe(make_vfr(tmp_path / "vfr.mp4"))
    assert (info.fps, info.frames) == (20.0, 40)
    assert info.duration == pytest.approx(2.0, abs=0.05)
    assert 40 <= len(list(decode(info, (320, 182), info.rate))) <= 42


def test_truncated_streamable_file_decodes_its_first_frames(clip: Path, tmp_path: Path) -> None:
    streamable = tmp_path / "faststart.mp4"
    ffmpeg("-i", clip, "-c", "copy", "-movflags", "+faststart", streamable)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(streamable.read_bytes()[: streamable.stat().st_size // 2])
    info = probe(cut)
    assert 0 < len(list(decode(info, (320, 182), info.rate))) < 45


def test_a_lying_header_is_read_as_it_is_but_its_frames_are_counted(tmp_path: Path) -> None:
    info = probe(make_lying_mkv(tmp_path / "lying.mkv", seconds=120, header_seconds=1.0))
    assert (info.duration, info.frames, info.fps) == (1.0, 3000, 25.0)  # the stream copy counts them all


@pytest.fixture(scope="module")
def bad_inputs(clip: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    """name -> (file, part of the expected message)."""
    tmp = tmp_path_factory.mktemp("bad")
    (tmp / "empty.mp4").write_bytes(b"")
    (tmp / "notes.mp4").write_text("not a video\n")
    (tmp / "photo.mp4").write_bytes(
        (IMAGES / "front_coco_val2017_000000199055_man_standing.jpg").read_bytes()
    )
    (tmp / "truncated.mp4").write_bytes(clip.read_bytes()[:30_000])  # moov atom (at the end) lost
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac", tmp / "audio.mp4")
    ffmpeg("-f", "lavfi", "-i", "color=s=64x64:d=1", "-vf", "select=0", "-c:v", "libx264", tmp / "zero.mp4")
    return {
        "empty": (tmp / "empty.mp4", "empty (0 bytes)"),
        "text": (tmp / "notes.mp4", "could not be read as a video"),
        "jpeg": (tmp / "photo.mp4", "still image"),
        "truncated": (tmp / "truncated.mp4", "damaged, incomplete"),
        "audio_only": (tmp / "audio.mp4", "audio only"),
        "zero_frames": (tmp / "zero.mp4", "no frames"),
        "missing": (tmp / "missing.mp4", "No video file"),
    }


@pytest.mark.parametrize(
    "case", ["empty", "text", "jpeg", "truncated", "audio_only", "zero_frames", "missing"]
)
def test_bad_input_is_refused_with_a_clear_message(
    case: str, bad_inputs: dict[str, tuple[Path, str]]
) -> None:
    path, message = bad_inputs[case]
    with pytest.raises(VideoInputError, match=re.escape(message)) as caught:
        probe(path)
    assert isinstance(caught.value, ValueError) and str(caught.value).endswith(".")


def test_exact_rate_and_even_size() -> None:
    assert exact_rate(29.97) == Fraction(30000, 1001)
    assert exact_rate(59.94) == Fraction(60000, 1001)
    assert exact_rate(23.98) == Fraction(24000, 1001)
    assert exact_rate(30.0) == 30 and exact_rate(12.5) == Fraction(25, 2)
    assert even_size(961, 541) == (960, 540)
    assert even_size(320, 182, 0.5) == (160, 92)
    assert even_size(3, 3, 0.1) == (2, 2)


def test_writer_encodes_browser_playable_h264_with_audio(tmp_path: Path) -> None:
    sine = tmp_path / "sine.m4a"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=3", "-c:a", "aac", sine)
    out = tmp_path / "out.mp4"
    rng = np.random.default_rng(0)
    with H264Writer(out, (64, 48), Fraction(30000, 1001), str(sine), audio_seconds=20 / (30000 / 1001)) as w:
        for _ in range(20):
            w.write(rng.integers(0, 255, (48, 64, 3), np.uint8))
    log = ffmpeg("-i", out)
    assert "Video: h264" in log and "yuv420p" in log and "Audio: aac" in log and "29.97 fps" in log
    info = probe(out)
    assert info.frames == 20 and info.duration == pytest.approx(20 / 29.97, abs=0.05)
    boxes = top_level_boxes(out)
    assert boxes.index("moov") < boxes.index("mdat")  # +faststart: playable while downloading


def test_writer_removes_the_file_on_error(tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    with pytest.raises(RuntimeError, match="stop"), H264Writer(out, (64, 48), Fraction(30)) as w:
        w.write(np.zeros((48, 64, 3), np.uint8))
        raise RuntimeError("stop")
    assert not out.exists()


def test_writer_keeps_colours_and_refuses_odd_sizes(tmp_path: Path) -> None:
    """Frames are converted to yuv420p before ffmpeg (OpenCV, BT.601 limited range): flat colours come back
    as they went in, within what H.264 at crf 23 and chroma subsampling allow."""
    colours = [(0, 0, 255), (0, 255, 0), (255, 0, 0), (255, 255, 255), (40, 90, 160)]  # BGR
    out = tmp_path / "colours.mp4"
    with H264Writer(out, (64, 48), Fraction(10)) as w:
        for colour in colours:
            w.write(np.full((48, 64, 3), colour, np.uint8))
    info = probe(out)
    frames = list(decode(info, (64, 48), Fraction(10)))
    assert len(frames) == len(colours)
    for frame, colour in zip(frames, colours, strict=True):
        assert np.abs(frame[8:40, 8:56].reshape(-1, 3).mean(axis=0) - colour).max() < 6, colour
    with pytest.raises(ValueError, match="even frame size"):
        H264Writer(tmp_path / "odd.mp4", (65, 48), Fraction(10))
