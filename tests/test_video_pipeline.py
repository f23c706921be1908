"""Video files end to end: H.264 with audio, exports, stride and scale, rotation, VFR, limits, the CLI."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pose_demo import AnalysisOptions, DrawOptions, UniModel
from pose_demo.i18n import Message
from pose_demo.models.runtime import RuntimeOptions
from pose_demo.rules import RuleSet
from pose_demo.skeleton import COCO17
from pose_demo.stream import PoseStream
from pose_demo.video.exports import video_json, write_csv, write_gif, write_json
from pose_demo.video.io import VideoInputError, decode, probe
from pose_demo.video.pipeline import VideoOptions, VideoRun, VideoTooLongError, check_video, process_video
from tests.conftest import MODEL_DIR, REPO, VIDEOS
from tests.test_video_io import ffmpeg, make_clip, make_lying_mkv, make_phone_video, make_portrait, make_vfr


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1.5 s of the squat video (one man, side view), 320x182 at 30 fps, with its audio track."""
    return make_clip(tmp_path_factory.mktemp("video") / "clip.mp4")


@pytest.fixture(scope="module")
def judged(fast_model: UniModel, clip: Path, tmp_path_factory: pytest.TempPathFactory) -> VideoRun:
    """The clip processed with the default rules."""
    out = tmp_path_factory.mktemp("out") / "judged.mp4"
    return process_video(fast_model, clip, out, VideoOptions(AnalysisOptions(rules=RuleSet.load("default"))))


def tracked_frames(run: VideoRun) -> int:
    return sum(any(p.track_id == 1 for p in f.persons) for f in run.frames)


def test_output_is_h264_with_audio_at_the_source_rate(judged: VideoRun) -> None:
    assert judged.output is not None
    log = ffmpeg("-i", judged.output)
    assert "Video: h264" in log and "yuv420p" in log and "Audio: aac" in log and "30 fps" in log
    out = probe(judged.output)
    assert (out.width, out.height, out.frames) == (320, 182, 45)
    assert out.duration == pytest.approx(1.5, abs=0.05)
    assert [f.index for f in judged.frames] == list(range(45))
    assert judged.frames[30].time == pytest.approx(1.0)
    assert tracked_frames(judged) >= 43
    assert {"decode", "pose", "track", "smooth", "rules", "draw", "encode"} <= set(judged.stage_ms)


def test_json_export(judged: VideoRun, tmp_path: Path) -> None:
    write_json(judged, tmp_path / "run.json")
    data = json.loads((tmp_path / "run.json").read_text())
    assert data == json.loads(json.dumps(video_json(judged)))
    assert data["video"]["fps"] == 30 and data["video"]["audio_codec"] == "aac"
    assert data["video"]["processed"] == {
        "width": 320,
        "height": 182,
        "fps": 30,
        "frame_stride": 1,
        "frames": 45,
    }
    assert len(data["frames"]) == 45
    frame = data["frames"][30]
    assert (frame["index"], frame["time"]) == (30, 1.0)
    person = frame["persons"][0]
    assert list(person) == ["track_id", "box", "score", "keypoints", "rules"]
    assert person["track_id"] == 1 and len(person["keypoints"]) == 17 and len(person["box"]) == 4
    assert [r["id"] for r in person["rules"]] == RuleSet.load("default").ids
    kps = np.array(person["keypoints"])
    x1, _, x2, _ = person["box"]
    confident = kps[kps[:, 2] > 0.5]
    assert len(confident) >= 8
    assert (confident[:, 0] > x1 - 20).all() and (confident[:, 0] < x2 + 20).all()


def test_csv_export(judged: VideoRun, tmp_path: Path) -> None:
    write_csv(judged, tmp_path / "run.csv")
    with open(tmp_path / "run.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == sum(len(f.persons) for f in judged.frames)
    header = list(rows[0])
    assert header[:6] == ["frame", "time", "track_id", "nose_x", "nose_y", "nose_score"]
    assert len([h for h in header if h.endswith("_score")]) == len(COCO17.keypoints)
    angles = [f"{r.id}_deg" for r in RuleSet.load("default").rules if r.unit == "deg"]
    assert "left_knee_angle_deg" in angles and header[3 + 3 * 17 :] == angles
    last = judged.frames[-1].persons[0]
    row = next(r for r in rows if r["frame"] == str(judged.frames[-1].index))
    assert float(row["left_hip_x"]) == pytest.approx(last.keypoints[11, 0], abs=0.01)
    knee = next(v for v in last.rules if v.id == "left_knee_angle")
    assert knee.value is not None and float(row["left_knee_angle_deg"]) == pytest.approx(knee.value, abs=0.01)


def test_gif_preview(judged: VideoRun, tmp_path: Path) -> None:
    assert judged.output is not None
    write_gif(judged.output, tmp_path / "preview.gif", width=160, fps=10)
    with Image.open(tmp_path / "preview.gif") as gif:
        assert gif.format == "GIF" and gif.width == 160 and 13 <= gif.n_frames <= 16


def test_stride_scale_and_det_interval(fast_model: UniModel, clip: Path, tmp_path: Path) -> None:
    options = VideoOptions(
        AnalysisOptions(det_interval=2, smoothing="kalman"), frame_stride=2, output_scale=0.5
    )
    run = process_video(fast_model, probe(clip), tmp_path / "out.mp4", options)  # probed once, not twice
    out = probe(tmp_path / "out.mp4")
    assert (out.width, out.height, out.fps, out.frames) == (160, 92, 15, 23)
    assert out.duration == pytest.approx(1.5, abs=0.1)
    assert [f.index for f in run.frames] == list(range(0, 45, 2))
    assert run.frames[3].time == pytest.approx(0.2)
    assert tracked_frames(run) >= 20


@pytest.fixture(scope="module")
def two_streams() -> UniModel:
    """The fast pair compiled with two OpenVINO streams: two frames' requests run at the same time."""
    return UniModel(model_dir=MODEL_DIR, streams=2)


def leaves(data: object, path: str = "") -> Iterator[tuple[str, object]]:
    """The values of a JSON-like tree, each with its path."""
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else None
    if items is None:
        yield path, data
        return
    for key, value in items:
        yield from leaves(value, f"{path}/{key}")


def assert_same_frames(pipelined: VideoRun, sequential: VideoRun) -> None:
    """The same per-frame JSON (floats within 1e-4, everything else identical) and the same repetitions."""
    got, expected = dict(leaves(video_json(pipelined))), dict(leaves(video_json(sequential)))
    assert got.keys() == expected.keys()
    for path, value in expected.items():
        if isinstance(value, float):
            assert got[path] == pytest.approx(value, abs=1e-4), path
        else:
            assert got[path] == value, path
    assert pipelined.reps == sequential.reps


@pytest.mark.parametrize(
    ("video", "analysis", "stride"),
    [
        ("squat_side_view.mp4", AnalysisOptions(rules=RuleSet.load("default"), exercise="squat"), 1),
        ("squat_side_view.mp4", AnalysisOptions(det_interval=3, exercise="squat"), 1),
        ("squat_side_view.mp4", AnalysisOptions(exercise="squat"), 2),
        ("mmpose_demo_street_5frames.mp4", AnalysisOptions(), 1),  # several walkers
    ],
    ids=["every-frame", "det-interval-3", "stride-2", "street"],
)
def test_pipelined_frames_are_the_sequential_ones(
    two_streams: UniModel, video: str, analysis: AnalysisOptions, stride: int
) -> None:
    """Frames in flight at once give what one frame at a time gives (60 frames of 240x136)."""
    options = VideoOptions(analysis, frame_stride=stride, output_scale=0.25, max_frames=60)
    pipelined = process_video(two_streams, VIDEOS / video, options=options)  # 2 frames in flight
    sequential = process_video(two_streams, VIDEOS / video, options=replace(options, frames_in_flight=1))
    assert len(pipelined.frames) == (5 if "street" in video else 60)
    assert sum(len(f.persons) for f in pipelined.frames) >= len(pipelined.frames)
    assert_same_frames(pipelined, sequential)


def test_frames_found_ahead_are_checked(fast_model: UniModel) -> None:
    with pytest.raises(ValueError, match="frames_in_flight must be at least 1"):
        VideoOptions(frames_in_flight=0)
    with pytest.raises(ValueError, match="streams must be at least 1"):
        RuntimeOptions(streams=0)
    stream = PoseStream(fast_model, AnalysisOptions(det_interval=2), max_latency_s=None)
    frame = np.zeros((64, 64, 3), np.uint8)
    assert [stream.detects(k) for k in range(4)] == [True, False, True, False]
    stream.analyse(frame, 0.0, stream.find(frame, stream.timer))
    with pytest.raises(ValueError, match="frame 1 follows the tracks"):  # it cannot be found ahead
        stream.analyse(frame, 0.1, [])


def test_threshold_focus_and_drawing_reach_the_stream(fast_model: UniModel, tmp_path: Path) -> None:
    street = VIDEOS / "mmpose_demo_street_5frames.mp4"  # several walkers
    everyone = process_video(fast_model, street, options=VideoOptions(output_scale=0.5))
    assert all(len(f.persons) >= 2 for f in everyone.frames)
    focused = process_video(
        fast_model, street, options=VideoOptions(AnalysisOptions(focus="largest"), output_scale=0.5)
    )
    assert all(len(f.persons) == 1 for f in focused.frames)
    assert len({f.persons[0].track_id for f in focused.frames}) == 1
    strict = VideoOptions(AnalysisOptions(det_threshold=0.99), output_scale=0.5)
    run = process_video(fast_model, street, tmp_path / "strict.mp4", strict)
    assert all(not f.persons for f in run.frames)
    # Drawing options reach the video: thicker skeletons cover more of the source frame.
    source = next(decode(probe(street), everyone.size, everyone.rate)).astype(int)
    changed = []
    for thickness in (1.0, 3.0):
        out = tmp_path / f"thickness{thickness}.mp4"
        process_video(
            fast_model, street, out, VideoOptions(draw=DrawOptions(thickness=thickness), output_scale=0.5)
        )
        first = next(decode(probe(out), everyone.size, everyone.rate)).astype(int)
        changed.append(np.count_nonzero(np.abs(first - source).max(axis=-1) > 40))
    assert changed[1] > 1.5 * changed[0] > 0


def test_rotated_video_comes_out_upright(fast_model: UniModel, tmp_path: Path) -> None:
    phone = make_phone_video(make_portrait(tmp_path / "portrait.mp4"), tmp_path / "phone.mp4")
    run = process_video(fast_model, phone, tmp_path / "out.mp4")
    out = probe(tmp_path / "out.mp4")
    assert (out.width, out.height, out.rotation) == (180, 320, 0)
    assert tracked_frames(run) >= 40
    person = run.frames[0].persons[0]
    nose, ankles = person.keypoint("nose"), person.keypoints[[15, 16]]
    assert person.box.height > 2 * person.box.width  # standing up
    assert nose[1] < ankles[:, 1].min() - 100  # head above the feet


def test_variable_frame_rate_keeps_its_duration(fast_model: UniModel, tmp_path: Path) -> None:
    run = process_video(fast_model, make_vfr(tmp_path / "vfr.mp4"), tmp_path / "out.mp4")
    out = probe(tmp_path / "out.mp4")
    assert out.fps == 20 and 40 <= out.frames == len(run.frames) <= 42
    assert out.duration == pytest.approx(2.0, abs=0.1)


def test_max_frames_cuts_video_and_audio_and_progress_is_reported(
    fast_model: UniModel, clip: Path, tmp_path: Path
) -> None:
    calls: list[tuple[int, int]] = []
    options = VideoOptions(max_frames=10)
    run = process_video(fast_model, clip, tmp_path / "out.mp4", options, lambda *call: calls.append(call))
    assert calls == [(k, 10) for k in range(1, 11)]
    log = ffmpeg("-i", tmp_path / "out.mp4")
    out = probe(tmp_path / "out.mp4")
    assert len(run.frames) == out.frames == 10 and "Audio: aac" in log
    assert out.duration == pytest.approx(10 / 30, abs=0.05)


def test_truncated_streamable_video_gives_its_first_frames(
    fast_model: UniModel, clip: Path, tmp_path: Path
) -> None:
    ffmpeg("-i", clip, "-c", "copy", "-movflags", "+faststart", tmp_path / "whole.mp4")
    data = (tmp_path / "whole.mp4").read_bytes()
    (tmp_path / "cut.mp4").write_bytes(data[: len(data) // 2])
    run = process_video(fast_model, tmp_path / "cut.mp4", tmp_path / "out.mp4")
    assert 5 < len(run.frames) < 45 and probe(tmp_path / "out.mp4").frames == len(run.frames)


def test_too_long_and_unreadable_videos_are_refused_before_any_output(
    fast_model: UniModel, clip: Path, tmp_path: Path
) -> None:
    for source in (clip, probe(clip)):  # a path, or the info already probed from it
        with pytest.raises(
            VideoInputError, match=r"lasts 1\.5 s, longer than the 1 s limit: cut it shorter and try again\."
        ) as refused:
            process_video(fast_model, source, tmp_path / "out.mp4", VideoOptions(max_duration_s=1.0))
    too_long = refused.value
    assert isinstance(too_long, VideoTooLongError) and (too_long.duration, too_long.limit) == (1.5, 1.0)
    assert too_long.text("zh-CN") == "视频时长 1.5 秒，超过了 1 秒的上限：请剪短后再试。"
    slider = VideoTooLongError(1.5, 1.0, Message("video.remedy.slider"))
    assert str(slider).endswith(
        "limit: raise the Max duration slider beside the video, or cut the video shorter."
    )
    assert slider.text("zh-CN").endswith("上限：请调高视频旁边的“最长时长”滑块，或把视频剪短。")
    (tmp_path / "notes.mp4").write_text("not a video")
    with pytest.raises(VideoInputError, match="could not be read as a video"):
        process_video(fast_model, tmp_path / "notes.mp4", tmp_path / "out.mp4")
    assert not (tmp_path / "out.mp4").exists()


def test_a_lying_header_is_refused_by_its_counted_frames(tmp_path: Path) -> None:
    lying = make_lying_mkv(tmp_path / "lying.mkv", seconds=120, header_seconds=10.0)
    with pytest.raises(VideoInputError, match=r"lasts 120\.0 s, longer than the 60 s limit"):
        check_video(lying, 60.0)


def test_the_duration_limit_is_enforced_on_the_decoded_frames(
    fast_model: UniModel, clip: Path, tmp_path: Path
) -> None:
    lying = replace(probe(clip), duration=0.5, frames=15)  # a header saying 0.5 s, for 1.5 s of frames
    run = process_video(fast_model, lying, tmp_path / "out.mp4", VideoOptions(max_duration_s=1.0))
    assert len(run.frames) == 31 == probe(tmp_path / "out.mp4").frames  # frames 0..30: up to 1.0 s
    assert run.stopped_at_limit == "duration" and not run.complete
    assert run.to_dict()["processed"] == {
        "width": 320, "height": 182, "fps": 30, "frame_stride": 1, "frames": 31,
        "duration": 1.033, "frames_expected": 15, "complete": False, "stopped_at_limit": "duration",
    }  # fmt: skip
    assert run.notice({"duration": "Max duration slider"}) == (
        "Stopped at the 1 s limit (Max duration slider): the first 1.0 s (31 frames) were analysed."
    )
    assert run.notice() == "Stopped at the 1 s limit: the first 1.0 s (31 frames) were analysed."
    assert run.notice({"duration": "最长时长"}, "zh-CN") == (
        "已在 1 秒的上限处停止（最长时长）：只分析了前 1.0 秒（31 帧）。"
    )
    # The app's summary says so.
    summary = app_summary(run, tmp_path)
    assert "Stopped at the 1 s limit (Max duration slider)" in summary


def test_videos_over_the_resolution_limit_are_refused(fast_model: UniModel, tmp_path: Path) -> None:
    ffmpeg("-f", "lavfi", "-i", "color=s=7680x4320:r=25:d=0.08", "-c:v", "libx264", "-preset", "ultrafast",
           tmp_path / "8k.mp4")  # fmt: skip
    message = (
        "The video is 7680x4320; the limit is 3840x2160 (8.3 megapixels): export it smaller and try again."
    )
    with pytest.raises(VideoInputError, match=re.escape(message)):
        check_video(tmp_path / "8k.mp4", 60.0)
    with pytest.raises(VideoInputError, match=re.escape(message)):
        process_video(fast_model, tmp_path / "8k.mp4", tmp_path / "out.mp4")
    assert not (tmp_path / "out.mp4").exists()
    # A portrait 4K video is within the limit; larger frames than the header's are not decoded.
    assert check_video(replace(probe(tmp_path / "8k.mp4"), width=2160, height=3840), 60.0)
    info = replace(probe(tmp_path / "8k.mp4"), width=3840, height=2160)  # a header lying about the size
    assert list(decode(info, (64, 36), info.rate, max_pixels=3840 * 2160)) == []


def test_a_file_that_ends_early_says_so(fast_model: UniModel, tmp_path: Path) -> None:
    data = (VIDEOS / "squat_side_view.mp4").read_bytes()  # 322 frames, its index at the start
    cut = tmp_path / "squat_cut.mp4"
    cut.write_bytes(data[: len(data) // 5])
    run = process_video(fast_model, cut, tmp_path / "out.mp4", VideoOptions(output_scale=0.25))
    assert 40 < len(run.frames) < 80 and run.ended_early and not run.complete
    processed = video_json(run)["video"]["processed"]
    assert processed["frames_expected"] == 322 and processed["frames"] == len(run.frames)
    assert processed["complete"] is False and processed["ended_early"] is True
    notice = (
        f"The file ended early: {len(run.frames)} of 322 frames could be decoded "
        "(the file may be cut or damaged)."
    )
    assert run.notice() == notice
    assert notice in app_summary(run, tmp_path)
    proc = cli("video", cut, "--json", tmp_path / "cut.json", "--scale", "0.25")
    assert proc.returncode == 0, proc.stderr
    assert "The file ended early" in proc.stdout and "of 322 frames could be decoded" in proc.stdout
    assert json.loads((tmp_path / "cut.json").read_text())["video"]["processed"]["ended_early"] is True


def test_a_complete_run_has_no_notice_and_its_json_is_unchanged(judged: VideoRun) -> None:
    assert judged.complete and not judged.ended_early and judged.stopped_at_limit is None
    assert judged.notice() is None and "frames_expected" not in judged.to_dict()["processed"]


def app_summary(run: VideoRun, folder: Path) -> str:
    """The Markdown summary the app's Video tab shows for ``run``."""
    from pose_demo.app.core import PoseApp, VideoAnalysis, run_bytes
    from pose_demo.app.loaded_models import LoadedModels
    from pose_demo.app.outputs import OutputFolders
    from pose_demo.app.uploads import UploadFolders
    from pose_demo.app.video_tab import VideoTab
    from pose_demo.report.session import ReportSettings

    app = PoseApp(LoadedModels(), OutputFolders(folder / "outputs"), RuleSet.load("default"),
                  uploads=UploadFolders.of(folder))  # fmt: skip
    kept = app.results.keep(VideoAnalysis(run, folder, "clip", ReportSettings()), run_bytes(run))
    summary, *_ = VideoTab(app).video_details(kept)
    return summary


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "pose_demo.cli", *map(str, args)]
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)


def test_cli_video(clip: Path, tmp_path: Path) -> None:
    outputs = ["--out", tmp_path / "o.mp4", "--json", tmp_path / "o.json", "--csv", tmp_path / "o.csv"]
    options = ["--smoothing", "ema", "--det-interval", "2", "--rules", "default", "--stride", "2"]
    options += ["--det-threshold", "0.4", "--focus", "central", "--enhance"]
    proc = cli("video", clip, *outputs, *options)
    assert proc.returncode == 0, proc.stderr
    assert "23 frames (320x182 at 15.00 fps)" in proc.stdout and ", 1 track -> " in proc.stdout
    assert probe(tmp_path / "o.mp4").frames == 23
    assert len(json.loads((tmp_path / "o.json").read_text())["frames"]) == 23
    assert "left_knee_angle_deg" in (tmp_path / "o.csv").read_text().splitlines()[0]
    proc = cli("video", tmp_path / "o.csv")
    assert proc.returncode == 2 and "error: This file could not be read as a video" in proc.stderr
    proc = cli("video", clip, "--json", tmp_path / "none.json", "--det-threshold", "0.99")
    assert proc.returncode == 0 and "0 tracks" in proc.stdout


def test_cli_bench_video(tmp_path: Path) -> None:
    """4 s of the squat, every other frame: the man stands, then squats (still and moving phases); the
    pipelined path and the sequential one, alternating."""
    clip = make_clip(tmp_path / "squat4s.mp4", seconds=4)
    args = ("--max-frames", "40", "--stride", "2", "--json", tmp_path / "bench.json", "--compare-sequential")
    proc = cli("bench-video", clip, *args)
    assert proc.returncode == 0, proc.stderr
    report = json.loads((tmp_path / "bench.json").read_text())
    assert report["frames"] == 40 and report["fps"] > 0
    assert (report["path"], report["frames_in_flight"]) == ("pipelined", 2)
    sequential = report["sequential"]
    assert (sequential["path"], sequential["frames_in_flight"], sequential["frames"]) == ("sequential", 1, 40)
    assert report["speedup"] == pytest.approx(report["fps"] / sequential["fps"], rel=0.01)
    assert "pipelined / sequential frames/s, same run" in proc.stdout
    assert {"decode", "pose", "draw", "encode"} <= set(report["stage_ms"])
    assert {"detect", "keypoints"} <= set(report["model_ms"])
    table = report["jitter_lag"]
    assert list(table) == ["raw", "oneeuro", "ema", "kalman", "paddle_baseline"]
    assert table["oneeuro"]["jitter"] < table["raw"]["jitter"]
    assert abs(table["raw"]["lag_frames"]) < 0.5
    assert "frames/s end to end" in proc.stdout
