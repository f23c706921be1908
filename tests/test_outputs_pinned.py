"""The outputs users keep (image JSON, video JSON and CSV) pinned on shared examples, through the CLI.

The pinned files in ``tests/golden/`` were written by this test (``POSE_DEMO_UPDATE_GOLDEN=1``) before a
refactoring and must not change with one. Numbers are compared to within float noise (5e-2 plus 0.1 %),
because another CPU runs the same graphs with other kernels; everything else (keys, counts, track ids,
rule ids and levels) must be equal.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IMAGES, REPO, VIDEOS

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("POSE_DEMO_UPDATE_GOLDEN") == "1"
IMAGE_FILES = ("front_ochuman_000817_three_people_walking.jpg", "side_frame_squat_f0030_standing.jpg")
CLIPS = {  # name -> (video, extra arguments)
    "street": ("mmpose_demo_street_5frames.mp4", ()),
    "squat": ("squat_side_view.mp4", ("--max-frames", "30", "--scale", "0.5")),
}


def cli(*args: str | Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pose_demo.cli", *map(str, args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr


def assert_close(actual: Any, expected: Any, where: str = "") -> None:
    """Equal structure and strings; numbers within float noise."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and list(actual) == list(expected), where
        for key in expected:
            assert_close(actual[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), where
        for k, (a, e) in enumerate(zip(actual, expected, strict=True)):
            assert_close(a, e, f"{where}[{k}]")
    elif isinstance(expected, bool) or expected is None or isinstance(expected, str):
        assert actual == expected, f"{where}: {actual!r} != {expected!r}"
    else:
        assert isinstance(actual, int | float) and not isinstance(actual, bool), where
        assert abs(actual - expected) <= 5e-2 + 1e-3 * abs(expected), f"{where}: {actual} != {expected}"


def read_csv(path: Path) -> list[list[Any]]:
    """Rows with numeric cells as numbers, empty cells as None."""

    def cell(text: str) -> Any:
        if text == "":
            return None
        try:
            return float(text)
        except ValueError:
            return text

    with path.open(newline="", encoding="utf-8") as f:
        return [[cell(c) for c in row] for row in csv.reader(f)]


def check(actual: Any, name: str) -> None:
    golden = GOLDEN / f"{name}.json"
    if UPDATE:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(json.dumps(actual, indent=0), encoding="utf-8")
    assert_close(actual, json.loads(golden.read_text(encoding="utf-8")), name)


def test_image_json_is_pinned(tmp_path: Path) -> None:
    cli("infer", *(IMAGES / f for f in IMAGE_FILES), "--out", tmp_path, "--rules", "default")
    for file in IMAGE_FILES:
        data = json.loads((tmp_path / file).with_suffix(".json").read_text(encoding="utf-8"))
        assert data.pop("file") == str(IMAGES / file)
        check(data, Path(file).stem)


@pytest.mark.parametrize("name", list(CLIPS))
def test_video_json_and_csv_are_pinned(name: str, tmp_path: Path) -> None:
    video, extra = CLIPS[name]
    outputs = ("--json", tmp_path / "out.json", "--csv", tmp_path / "out.csv")
    cli("video", VIDEOS / video, *outputs, "--rules", "default", *extra)
    check(json.loads((tmp_path / "out.json").read_text(encoding="utf-8")), f"{name}_video")
    check(read_csv(tmp_path / "out.csv"), f"{name}_csv")
