"""Batch jobs (``pose_demo.batch``, ``python -m pose_demo.cli batch``): local and Ray engines give the same
outputs; bad inputs fail alone; a killed Ray actor and a killed driver lose and duplicate nothing.

One local Ray session (2 CPUs) serves the module; the media are a few shared images and two shared videos
cut to 2 s (re-encoded into a temporary folder, never into the project).
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import imageio_ffmpeg
import numpy as np
import pyarrow.parquet as pq
import pytest

from pose_demo import AnalysisOptions, RuleSet, UniModel, analyse_image, load_image, process_video
from pose_demo.batch import BatchSettings, Manifest, ModelChoice, expand_inputs, run_batch
from pose_demo.batch.run import PAUSE_ENV
from pose_demo.batch.table import KEYPOINT_COLUMNS
from pose_demo.image_input import ImageInputError
from pose_demo.models.registry import DEFAULT_DETECTOR, DEFAULT_KEYPOINTS
from pose_demo.video import VideoOptions
from pose_demo.video.exports import video_json
from tests.conftest import IMAGES, MODEL_DIR, REPO, VIDEOS

ray = pytest.importorskip("ray")  # requirements-batch.txt

IMAGE_NAMES = [
    "side_frame_squat_f0030_standing.jpg",
    "front_ochuman_000817_three_people_walking.jpg",
    "crowd_coco_val2017_000000338905_dinner_table.jpg",
    "small_coco_val2017_000000361919_skiers_far.jpg",
]
VIDEO_NAMES = ["squat_side_view.mp4", "sports2d_demo5_dumbbell_lateral_raise.mp4"]


def env(**extra: str) -> dict[str, str]:
    """This process's environment as it is now (Ray's session adds its auth mode), and ``extra``."""
    return {**os.environ, "POSE_DEMO_MODEL_DIR": str(MODEL_DIR), **extra}


def cut(source: Path, target: Path, seconds: float = 2.0, scale: str = "iw/2:-2") -> Path:
    """The first ``seconds`` of ``source``, half size, H.264 with the index at the front (+faststart)."""
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    command = [ffmpeg, "-v", "error", "-y", "-i", str(source), "-t", str(seconds), "-an", "-vf"]
    command += [f"scale={scale}", "-c:v", "libx264", "-preset", "ultrafast", "-movflags", "+faststart"]
    subprocess.run([*command, str(target)], check=True)
    return target


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("media")
    videos = [cut(VIDEOS / name, folder / name) for name in VIDEO_NAMES]
    bad_image = folder / "corrupted.jpg"
    bad_image.write_bytes(b"\xff\xd8\xff\xe0 this is not a JPEG " * 50)
    truncated = folder / "truncated.mp4"
    data = videos[0].read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    return {
        "images": [IMAGES / name for name in IMAGE_NAMES],
        "videos": videos,
        "bad_image": bad_image,
        "truncated": truncated,
    }


@pytest.fixture(scope="module")
def settings() -> BatchSettings:
    analysis = AnalysisOptions(rules=RuleSet.load("default"), exercise="auto")
    models = ModelChoice(DEFAULT_DETECTOR, DEFAULT_KEYPOINTS, model_dir=str(MODEL_DIR))
    return BatchSettings(models, VideoOptions(analysis=analysis), render=True)


@pytest.fixture(scope="module")
def ray_session() -> Any:
    ray.init(num_cpus=2, include_dashboard=False, logging_level="warning")
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def both_runs(
    media: dict, settings: BatchSettings, ray_session: Any, tmp_path_factory: pytest.TempPathFactory
) -> tuple[list, dict]:
    items = expand_inputs(map(str, media["images"] + media["videos"]))
    runs = {}
    for engine in ("local", "ray"):
        out = tmp_path_factory.mktemp(engine)
        runs[engine] = (out, run_batch(items, settings, out, engine, progress=False))
    return items, runs


def assert_close(a: Any, b: Any, tol: float, where: str = "") -> None:
    """Same JSON, numbers within ``tol``."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), where
        for k in a:
            assert_close(a[k], b[k], tol, f"{where}.{k}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_close(x, y, tol, f"{where}[{i}]")
    elif isinstance(a, float) and not isinstance(a, bool):
        assert math.isclose(a, b, abs_tol=tol), f"{where}: {a} != {b}"
    else:
        assert a == b, where


def sorted_table(folder: Path) -> Any:
    return pq.read_table(folder).to_pandas().sort_values(["path", "frame", "person"]).reset_index(drop=True)


def test_expand_inputs(tmp_path: Path, media: dict) -> None:
    listing = tmp_path / "list.txt"
    listing.write_text(f"# the inputs\n{media['videos'][0]}\n\n{IMAGES / IMAGE_NAMES[0]}\n", encoding="utf-8")
    items = expand_inputs([str(IMAGES), str(listing), str(VIDEOS / "squat*.mp4")])
    images = sorted(p for p in IMAGES.iterdir() if p.suffix in (".jpg", ".png"))
    assert [i.path for i in items[: len(images)]] == images  # the folder, recursively, sorted
    assert {i.kind for i in items[: len(images)]} == {"image"}
    assert [(i.path, i.kind) for i in items[len(images) :]] == [
        (media["videos"][0], "video"),  # the listed image is already in: each input once
        (VIDEOS / "squat_side_view.mp4", "video"),
    ]
    names = [i.name for i in items]
    assert len(set(names)) == len(names)  # the two squat_side_view stems get distinct names
    assert names[-1].startswith("squat_side_view-")


def test_ray_equals_local_and_the_commands(both_runs: Any, settings: BatchSettings, media: dict) -> None:
    items, runs = both_runs
    (local, local_summary), (remote, ray_summary) = runs["local"], runs["ray"]
    for summary in (local_summary, ray_summary):
        assert (summary.done, summary.failed, summary.skipped) == (len(items), 0, 0)
    assert local_summary.frames == ray_summary.frames >= len(items) - 2 + 2 * 59  # 2 s at 30 fps
    for item in items:
        a, b = (json.loads((out / "results" / f"{item.name}.json").read_text()) for out in (local, remote))
        assert_close(a, b, 0.05, item.name)
        rendered = "jpg" if item.kind == "image" else "mp4"
        assert (local / "results" / f"{item.name}.{rendered}").stat().st_size > 1000
    # the same functions as ``infer`` and ``video``: the same JSON
    model = UniModel(model_dir=MODEL_DIR)
    image = media["images"][1]
    result = analyse_image(model, load_image(image), settings.video.analysis)
    written = json.loads((local / "results" / f"{image.stem}.json").read_text())
    assert written == json.loads(json.dumps({"file": str(image), **result.to_dict()}))
    video = media["videos"][0]
    expected = video_json(process_video(model, video, None, settings.video))
    written = json.loads((local / "results" / f"{video.stem}.json").read_text())
    assert written == json.loads(json.dumps(expected))

    a, b = sorted_table(local / "table"), sorted_table(remote / "table")
    assert len(a) == len(b) == local_summary.persons == ray_summary.persons
    keys = ["path", "kind", "frame", "person", "track_id", "exercise", "reps"]
    assert a[keys].equals(b[keys])
    np.testing.assert_allclose(a[KEYPOINT_COLUMNS].to_numpy(), b[KEYPOINT_COLUMNS].to_numpy(), atol=1e-2)
    assert a["rule_left_knee_angle"].notna().any()
    workers = {r["worker"] for r in Manifest(remote).records()}
    assert len(workers) == 2


def test_bad_inputs_fail_alone(
    media: dict, settings: BatchSettings, ray_session: Any, tmp_path: Path
) -> None:
    good = media["images"][:2]
    inputs = [*good, media["bad_image"], media["truncated"]]
    summary = run_batch(expand_inputs(map(str, inputs)), settings, tmp_path, "ray", progress=False)
    assert (summary.done, summary.failed) == (2, 2)
    status = {Path(r["input"]).name: r for r in Manifest(tmp_path).records()}
    assert {status[p.name]["status"] for p in good} == {"done"}
    with pytest.raises(ImageInputError) as error:
        load_image(media["bad_image"])
    assert status["corrupted.jpg"]["status"] == "failed"
    assert status["corrupted.jpg"]["message"] == str(error.value)
    assert status["truncated.mp4"]["status"] == "failed"
    assert "ended early" in status["truncated.mp4"]["message"]
    assert status["truncated.mp4"]["outputs"] == []
    table = pq.read_table(tmp_path / "table").to_pandas()
    assert set(table.path) == {str(p) for p in good}
    assert not (tmp_path / "results" / "truncated.json").exists()
    assert json.loads((tmp_path / "summary.json").read_text())["failed"] == 2


def test_killed_actor_is_replaced(
    media: dict, settings: BatchSettings, ray_session: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PAUSE_ENV, "0.5")  # so that the kill lands while the actor holds an input
    inputs = [p for p in IMAGES.iterdir() if p.suffix == ".jpg"][:8]
    items = expand_inputs(map(str, inputs))
    plain = BatchSettings(settings.models, VideoOptions(), render=False)
    summaries = []
    runner = threading.Thread(
        target=lambda: summaries.append(run_batch(items, plain, tmp_path, "ray", progress=False))
    )
    runner.start()
    manifest = Manifest(tmp_path)
    while not manifest.records() and runner.is_alive():
        time.sleep(0.05)
    victim = manifest.records()[0]["worker"]
    os.kill(int(victim.rsplit(":", 1)[1]), signal.SIGKILL)
    runner.join(timeout=120)
    assert summaries and summaries[0].done == len(items)
    records = manifest.records()
    assert sorted(r["input"] for r in records) == sorted(str(i.path) for i in items)  # each exactly once
    assert {r["status"] for r in records} == {"done"}
    assert any(r["attempts"] == 2 for r in records)  # the input the killed actor held, done again
    assert len({r["worker"] for r in records}) == 3  # two actors, and the one replacing the victim
    table = pq.read_table(tmp_path / "table").to_pandas()
    assert len(table) == sum(r["persons"] for r in records)
    assert not table.duplicated(["path", "frame", "person"]).any()


def test_killed_driver_resumes(media: dict, ray_session: Any, tmp_path: Path) -> None:
    inputs = [str(p) for p in media["images"]] + [str(media["videos"][1])]
    command = [sys.executable, "-m", "pose_demo.cli", "batch", *inputs, "--out", str(tmp_path)]
    manifest = Manifest(tmp_path)
    driver = subprocess.Popen(command, cwd=REPO, env=env(**{PAUSE_ENV: "1.0"}), stderr=subprocess.DEVNULL)
    while len(manifest.records()) < 2 and driver.poll() is None:
        time.sleep(0.05)
    assert driver.poll() is None, "the batch command ended before it could be killed"
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    first = manifest.records()
    assert 2 <= len(first) < len(inputs)
    # again, on the module's Ray cluster this time: the engine does not change the results
    address = ray.get_runtime_context().gcs_address
    again = [*command, "--engine", "ray", "--ray-address", address]
    rerun = subprocess.run(again, cwd=REPO, env=env(), capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert (summary["skipped"], summary["done"]) == (len(first), len(inputs) - len(first))
    records = manifest.records()
    assert records[: len(first)] == first  # the first run's lines are kept as they were
    done = [r["input"] for r in records if r["status"] == "done"]
    assert sorted(done) == sorted(inputs)  # every input done once: nothing done twice
    assert {r["input"] for r in records if r["status"] == "skipped"} == {r["input"] for r in first}
    assert len(pq.read_table(tmp_path / "table").to_pandas().path.unique()) == len(inputs)


def test_the_app_does_not_import_ray() -> None:
    code = "import sys, demo_app, pose_demo.app, pose_demo.cli; sys.exit('ray' in sys.modules)"
    subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env(), check=True)


def test_the_docs_snippet_reads_the_table(both_runs: Any) -> None:
    _, runs = both_runs
    out, summary = runs["local"]
    doc = (REPO / "docs" / "batch.md").read_text(encoding="utf-8")
    snippet = doc.split("## The keypoint table")[1].split("```python\n")[1].split("```")[0]
    scope: dict[str, Any] = {"print": lambda *args, **kwargs: None}
    exec(snippet.replace("DIR/table", str(out / "table")), scope)
    assert scope["per_input"]["persons"].sum() == summary.persons
    assert set(scope["knee"].columns) == {"path", "time", "track_id", "rule_left_knee_angle"}
