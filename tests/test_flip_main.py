"""The flip test for the main person (issue 28, item 4): only the main person's crop also runs mirrored, the
others are read as without it; a video with the keypoint model ``auto`` gets it where the clip has time for
it, and the summary says so."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from pose_demo import UniModel
from pose_demo.analysis import AnalysisOptions, analyse_image
from pose_demo.focus import main_index
from pose_demo.models.budget import LARGE_KEYPOINTS, SMALL_KEYPOINTS, ModelChoice
from pose_demo.video import VideoOptions, check_video
from pose_demo.video.budget import (
    PROBE_FRAMES,
    WARMUP_FRAMES,
    choose_video_keypoints,
    run_options,
    video_keypoints,
)
from tests.conftest import IMAGES, REPO, VIDEOS

WALKERS = IMAGES / "front_ochuman_000817_three_people_walking.jpg"
SQUAT = VIDEOS / "squat_side_view.mp4"  # 30 frames/s


def test_main_index_is_the_largest_or_the_most_central_box() -> None:
    boxes = np.array([[0, 0, 50, 100], [180, 80, 220, 120], [300, 0, 400, 200]], float)  # in 400x200
    assert main_index(boxes, (400, 200), "largest") == 2
    assert main_index(boxes, (400, 200), "everyone") == 2  # any mode but central: the largest
    assert main_index(boxes, (400, 200), "central") == 1
    assert AnalysisOptions().flip is False
    assert AnalysisOptions(flip_main=True).flip == "largest"
    assert AnalysisOptions(flip_main=True, focus="central").flip == "central"


def test_only_the_main_persons_crop_is_flipped(fast_model: UniModel) -> None:
    """Three walkers: with the flip for the main (largest) one, its joints are those of the flip test on
    every crop, and the two others' those without any flip (to 0.5 px: the batch sizes differ); the flip
    moves the main person's joints (else this test could not fail)."""
    image = cv2.imread(str(WALKERS))
    boxes = [p.box for p in fast_model.predict(image).persons]
    assert len(boxes) == 3
    plain, flipped, main = (
        np.stack([p.keypoints for p in fast_model.predict_with_boxes(image, boxes, flip).persons])
        for flip in (False, True, "largest")
    )
    largest = main_index(np.array([b.as_xyxy() for b in boxes]), (image.shape[1], image.shape[0]), "largest")
    others = [k for k in range(3) if k != largest]
    np.testing.assert_allclose(main[largest, :, :2], flipped[largest, :, :2], atol=0.5)
    np.testing.assert_allclose(main[others, :, :2], plain[others, :, :2], atol=0.5)
    assert np.abs(main[largest, :, :2] - plain[largest, :, :2]).max() > 1.0


def test_a_picture_analysed_with_flip_main_flips_its_main_person(fast_model: UniModel) -> None:
    image = cv2.imread(str(WALKERS))
    plain = analyse_image(fast_model, image, AnalysisOptions(focus="largest"))
    flipped = analyse_image(fast_model, image, AnalysisOptions(focus="largest", flip_main=True))
    expected = fast_model.predict(image, flip=True)
    (person,) = flipped.persons
    twin = min(expected.persons, key=lambda p: np.abs(p.box.as_xyxy() - person.box.as_xyxy()).max())
    np.testing.assert_allclose(person.keypoints[:, :2], twin.keypoints[:, :2], atol=0.5)
    assert np.abs(person.keypoints[:, :2] - plain.persons[0].keypoints[:, :2]).max() > 1.0


def _clock(*steps_s: float):
    """A clock that advances by the first step at each reading of the first probe (one reading per frame
    analysed), by the second in the second probe."""
    readings, now = itertools.count(), [0.0]

    def clock() -> float:
        now[0] += steps_s[min(next(readings) // (WARMUP_FRAMES + PROBE_FRAMES), len(steps_s) - 1)]
        return now[0]

    return clock


@pytest.mark.parametrize(
    ("steps", "keypoints", "flip"),
    [
        ((0.005,), LARGE_KEYPOINTS, True),  # 200 frames/s with the flip: it keeps the pace
        ((0.05, 0.005), LARGE_KEYPOINTS, False),  # 20 with it, 200 without: the large model alone
        ((0.05, 0.05), SMALL_KEYPOINTS, False),  # 20 either way: the small model
    ],
)
def test_the_budget_tries_the_flip_first(
    fast_model: UniModel, steps: tuple[float, ...], keypoints: str, flip: bool
) -> None:
    info = check_video(SQUAT, 600)
    options = VideoOptions(output_scale=0.5)
    choice = video_keypoints(lambda name: fast_model, info, options, _clock(*steps))
    assert (choice.keypoints, choice.flip) == (keypoints, flip)
    assert choice.fps == pytest.approx(1 / steps[-1])
    assert ("flip test for the main person" in choice.message()) == flip
    assert ("翻转测试" in choice.message("zh-CN")) == flip
    assert run_options(options, choice.flip).analysis.flip_main == flip


def test_options_asking_for_the_flip_are_timed_with_it_once(fast_model: UniModel) -> None:
    """A user who asked for the flip: the probe times it, once, and the choice keeps it, also with the small
    model; an explicit model keeps it too."""
    info = check_video(SQUAT, 600)
    options = VideoOptions(output_scale=0.5, analysis=AnalysisOptions(flip_main=True))
    readings = []

    def clock() -> float:
        readings.append(len(readings) * 0.05)
        return readings[-1]

    choice = video_keypoints(lambda name: fast_model, info, options, clock)
    assert len(readings) == WARMUP_FRAMES + PROBE_FRAMES  # one probe
    assert (choice.keypoints, choice.reason, choice.flip) == (SMALL_KEYPOINTS, "too_slow", True)
    chosen = choose_video_keypoints(SMALL_KEYPOINTS, lambda name: fast_model, info, options)
    assert chosen == ModelChoice.chosen(SMALL_KEYPOINTS, flip=True)
    assert chosen.to_dict() == {"name": SMALL_KEYPOINTS, "reason": "chosen", "flip_main": True}


def test_the_cli_flips_the_main_person_and_says_so_in_the_json(tmp_path: Path) -> None:
    """The video command with --flip-main on 20 frames: the JSON says so; the main person's joints differ
    from a run without it, the same frames otherwise."""

    def run(*flags: str) -> dict:
        out = tmp_path / f"run{len(flags)}.json"
        command = [sys.executable, "-m", "pose_demo.cli", "video", str(SQUAT), "--json", str(out)]
        command += ["--max-frames", "20", "--kp-model", SMALL_KEYPOINTS, "--focus", "largest", *flags]
        subprocess.run(command, cwd=REPO, check=True, capture_output=True, timeout=300)
        return json.loads(out.read_text(encoding="utf-8"))

    plain, flipped = run(), run("--flip-main")
    assert plain["video"]["keypoint_model"]["flip_main"] is False
    assert flipped["video"]["keypoint_model"] == {
        "name": SMALL_KEYPOINTS,
        "reason": "chosen",
        "flip_main": True,
    }
    assert [f["index"] for f in plain["frames"]] == [f["index"] for f in flipped["frames"]]
    first, second = (np.array(r["frames"][-1]["persons"][0]["keypoints"])[:, :2] for r in (plain, flipped))
    assert np.abs(first - second).max() > 0.5
