"""Quality by budget (issue 28, item 1): the large keypoint model where the job has time for it, the small one
on a slow machine, and the summary says which ran and why."""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pose_demo import UniModel
from pose_demo.models.budget import HEADROOM, LARGE_KEYPOINTS, SMALL_KEYPOINTS, ModelChoice, afford
from pose_demo.video import VideoOptions, check_video
from pose_demo.video.budget import PROBE_FRAMES, probe_fps, video_keypoints
from tests.conftest import REPO, VIDEOS

SQUAT = VIDEOS / "squat_side_view.mp4"  # 30 frames/s


def test_afford_and_what_the_summary_says() -> None:
    fast = afford(40.0, 37.5)
    assert fast.keypoints == LARGE_KEYPOINTS and fast.reason == "fast_enough"
    assert "at least the 38 frames/s needed" in fast.message()
    slow = afford(20.0, 37.5)
    assert slow.keypoints == SMALL_KEYPOINTS and slow.reason == "too_slow"
    assert slow.message() == (
        f"Keypoint model {SMALL_KEYPOINTS}, the faster one: the more accurate {LARGE_KEYPOINTS} would run at "
        "20 frames/s on this machine, below the 38 frames/s needed."
    )
    assert "每秒" in slow.message("zh-CN")
    assert ModelChoice.image().keypoints == LARGE_KEYPOINTS
    assert ModelChoice.chosen("tinypose_128x96").message() == "Keypoint model tinypose_128x96, as chosen."
    with pytest.raises(ValueError):
        ModelChoice(LARGE_KEYPOINTS, "fast_enough")  # a measured choice without its figures
    with pytest.raises(ValueError):
        ModelChoice(LARGE_KEYPOINTS, "hunch")


def _clock(step_s: float):
    """A clock that advances ``step_s`` at every reading: one reading per frame analysed."""
    ticks = itertools.count()
    return lambda: next(ticks) * step_s


def test_a_slow_machine_gets_the_small_model_and_says_so(fast_model: UniModel) -> None:
    """A machine that takes 50 ms a frame (20 frames/s) cannot keep a 30 frames/s clip's real time with the
    large model: the small one runs; at 5 ms a frame the large one does."""
    info = check_video(SQUAT, 600)
    options = VideoOptions(output_scale=0.5)
    loaded = []

    def load(name: str) -> UniModel:
        loaded.append(name)
        return fast_model  # any model: the clock, not the model, sets the speed here

    slow = video_keypoints(load, info, options, _clock(0.05))
    assert loaded == [LARGE_KEYPOINTS]
    assert slow.keypoints == SMALL_KEYPOINTS and slow.reason == "too_slow"
    assert slow.fps == pytest.approx(20.0) and slow.needed == pytest.approx(30 * HEADROOM)
    assert "the faster one" in slow.message() and "20 frames/s" in slow.message()
    fast = video_keypoints(load, info, options, _clock(0.005))
    assert fast.keypoints == LARGE_KEYPOINTS and fast.fps == pytest.approx(200.0)


def test_probe_times_the_frames_after_the_warmup(fast_model: UniModel) -> None:
    info = check_video(SQUAT, 600)
    stamps = []

    def clock() -> float:
        stamps.append(len(stamps) * 0.1)
        return stamps[-1]

    assert probe_fps(fast_model, info, VideoOptions(output_scale=0.5), clock) == pytest.approx(10.0)
    assert len(stamps) == PROBE_FRAMES + 4  # one reading per frame analysed


def _small_run(tmp_path: Path) -> list[str]:
    return ["--max-frames", "40", "--scale", "0.5", "--json", str(tmp_path / "o.json")]


def test_the_video_command_says_which_model_ran(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pose_demo.cli",
            "video",
            str(SQUAT),
            "--kp-model",
            "auto",
            *_small_run(tmp_path),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"Keypoint model tinypose_(256x192|128x96)\b.* frames/s", proc.stderr), proc.stderr
