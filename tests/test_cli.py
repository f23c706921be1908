"""The command line, run as a user would: python -m pose_demo.cli ..."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import COCO_ANN, COCO_IMAGES, IMAGES, REPO


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pose_demo.cli", *args], cwd=REPO, capture_output=True, text=True, timeout=600
    )


def test_infer_folder_with_a_bad_file(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(IMAGES / "front_ochuman_000817_three_people_walking.jpg", inputs / "walkers.jpg")
    shutil.copy(IMAGES / "side_frame_squat_f0030_standing.jpg", inputs / "standing.v2.jpg")
    (inputs / "broken.jpg").write_bytes(b"not really a jpeg")
    out = tmp_path / "out"
    proc = run("infer", str(inputs), "--out", str(out))
    assert proc.returncode == 1, proc.stderr  # one file failed, the others were written
    assert "2 images, 4 persons" in proc.stdout
    assert "broken.jpg" in proc.stdout + proc.stderr
    walkers = json.loads((out / "walkers.json").read_text())
    assert len(walkers["persons"]) == 3
    assert (out / "walkers.jpg").stat().st_size > 10_000 and (out / "standing.v2.jpg").exists()
    assert json.loads((out / "standing.v2.json").read_text())["file"].endswith("standing.v2.jpg")
    assert not (out / "broken.json").exists()


def test_evaluate_writes_json(tmp_path: Path) -> None:
    ann = json.loads(COCO_ANN.read_text())
    ann["images"] = [i for i in ann["images"] if i["id"] in (785, 196141)]
    ann["annotations"] = [a for a in ann["annotations"] if a["image_id"] in (785, 196141)]
    small = tmp_path / "ann.json"
    small.write_text(json.dumps(ann))
    out = tmp_path / "ap.json"
    proc = run(
        "evaluate", "--ann", str(small), "--images", str(COCO_IMAGES), "--gt-boxes", "--json", str(out)
    )
    assert proc.returncode == 0, proc.stderr
    stats = json.loads(out.read_text())
    assert set(stats) == {"AP", "AP50", "AP75", "AR"}
    assert 0.3 < stats["AP"] <= 1.0


def test_bench_writes_figures(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    image = IMAGES / "side_frame_squat_f0030_standing.jpg"
    proc = run("bench", "--image", str(image), "--repeat", "3", "--warmup", "1", "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    report = json.loads(out.read_text())
    assert report["persons"] == 1
    assert set(report["stages"]) == {"preprocess", "detect", "postprocess", "keypoints", "draw"}
    assert 0 < report["model_ms"] <= report["predict_ms"]  # model time is part of each predict call
    assert report["e2e_ms"] > 0


def test_missing_model_is_a_clear_error(tmp_path: Path) -> None:
    image = IMAGES / "side_frame_squat_f0030_standing.jpg"
    proc = run("infer", str(image), "--out", str(tmp_path), "--kp-model", str(tmp_path / "nowhere"))
    assert proc.returncode == 2
    assert "error:" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("bench", "--image", "x.jpg", "--repeat", "0"), "--repeat: must be above 0, not 0"),
        (("bench", "--image", "x.jpg", "--warmup", "-1"), "--warmup: must be 0 or more, not -1"),
        (("bench", "--image", "x.jpg", "--det-threshold", "1.5"), "--det-threshold: must be between 0 and 1"),
        (("infer", "x.jpg", "--out", "o", "--kp-threshold", "-1"), "--kp-threshold: must be between 0 and 1"),
        (("video", "x.mp4", "--strength", "3"), "--strength: must be between 0 and 1, not 3"),
        (("infer", "x.jpg", "--out", "o", "--threads", "two"), "--threads: invalid int value: 'two'"),
    ],
)
def test_out_of_range_arguments_are_refused(args: tuple[str, ...], message: str) -> None:
    proc = run(*args)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_evaluate_refuses_bad_annotations_before_work(tmp_path: Path) -> None:
    not_json = tmp_path / "notes.json"
    not_json.write_text("these are my notes")
    proc = run("evaluate", "--ann", str(not_json), "--images", str(COCO_IMAGES))
    assert proc.returncode == 2
    assert "notes.json is not JSON" in proc.stderr and "Traceback" not in proc.stderr
    wrong_folder = run("evaluate", "--ann", str(COCO_ANN), "--images", str(tmp_path))
    assert wrong_folder.returncode == 2
    assert "are not in" in wrong_folder.stderr and "000000000785.jpg" in wrong_folder.stderr
    assert "images:" not in wrong_folder.stderr  # refused before the progress bar started
    nameless = tmp_path / "nameless.json"
    nameless.write_text(json.dumps({"images": [{"id": 1}], "annotations": [], "categories": []}))
    proc = run("evaluate", "--ann", str(nameless), "--images", str(COCO_IMAGES))
    assert proc.returncode == 2 and "needs a file_name" in proc.stderr


def test_infer_takes_the_analysis_options(tmp_path: Path) -> None:
    """--focus and --enhance reach infer through the shared analysis path, as they reach video."""
    walkers = IMAGES / "front_ochuman_000817_three_people_walking.jpg"
    dark = IMAGES / "dark_exlpose_0212_vid000020_exp400_000052.png"
    proc = run("infer", str(walkers), str(dark), "--out", str(tmp_path / "plain"))
    assert proc.returncode == 0 and "2 images, 3 persons" in proc.stdout, proc.stderr
    proc = run(
        "infer", str(walkers), str(dark), "--out", str(tmp_path / "o"), "--focus", "largest", "--enhance"
    )
    assert proc.returncode == 0 and "2 images, 2 persons" in proc.stdout, proc.stderr
    for name in (walkers.stem, dark.stem):
        assert len(json.loads((tmp_path / "o" / f"{name}.json").read_text())["persons"]) == 1
    proc = run("infer", str(walkers), "--out", str(tmp_path / "x"), "--focus", "tallest")
    assert proc.returncode == 2 and "invalid choice: 'tallest'" in proc.stderr


def test_runtime_without_paddle_is_a_clear_error(tmp_path: Path) -> None:
    """--runtime paddle where paddlepaddle is not installed (shadowed here by a package that cannot be
    imported): one line saying what to install, no traceback."""
    shadow = tmp_path / "site" / "paddle"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('No module named paddle')\n")
    image = IMAGES / "side_frame_squat_f0030_standing.jpg"
    args = ["infer", str(image), "--out", str(tmp_path / "o"), "--runtime", "paddle"]
    proc = subprocess.run(
        [sys.executable, "-m", "pose_demo.cli", *args, "--det-model", "picodet_s_192_pedestrian"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(shadow.parent)},
    )
    assert proc.returncode == 2
    assert (
        "error: The Paddle runtime needs paddlepaddle: pip install -r requirements-paddle.txt" in proc.stderr
    )
    assert "Traceback" not in proc.stderr


def test_reps_help_lists_the_exercise_ids(capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 26, item 8: a newcomer reads which exercises can be counted without opening the catalog."""
    from pose_demo.cli import main
    from pose_demo.exercises.schema import load_catalog

    with pytest.raises(SystemExit):
        main(["reps", "--help"])
    words = " ".join(capsys.readouterr().out.split())
    assert f"an exercise id of the catalog ({', '.join(load_catalog().ids)}), or auto" in words
    assert {"squat", "push_up", "lateral_raise"} <= set(load_catalog().ids)
