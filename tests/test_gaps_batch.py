"""Batch resume (issue 30, gap 1): a rerun into the same output folder skips an input only when its
latest line in the manifest says "done" with the same settings and models, its file is unchanged (size
and modification time) and its outputs are all there. Everything else is done again: new settings, other
models, a changed file, a missing output, and an input that failed.

Real runs on the local engine (no Ray) with the default models, on two shared photos and a file that is
no picture, copied into a temporary folder.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from pose_demo import AnalysisOptions
from pose_demo.batch import BatchSettings, BatchSummary, Manifest, ModelChoice, expand_inputs, run_batch
from pose_demo.batch.worker import model_hashes
from pose_demo.models.registry import DEFAULT_DETECTOR, DEFAULT_KEYPOINTS
from pose_demo.video import VideoOptions
from tests.conftest import IMAGES, MODEL_DIR

PHOTOS = ("side_mhp_10084_basketball_two_players.jpg", "front_ochuman_000817_three_people_walking.jpg")
OTHER_KEYPOINTS = "tinypose_256x192"


@pytest.fixture(scope="module")
def settings() -> BatchSettings:
    models = ModelChoice(DEFAULT_DETECTOR, DEFAULT_KEYPOINTS, model_dir=str(MODEL_DIR))
    return BatchSettings(models, VideoOptions())


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    """Two photos and ``broken.jpg`` (not a picture) in a folder of their own."""
    folder = tmp_path / "in"
    folder.mkdir()
    for name in PHOTOS:
        shutil.copy(IMAGES / name, folder / name)
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a JPEG " * 40)
    return folder


def run(folder: Path, settings: BatchSettings, out: Path) -> BatchSummary:
    return run_batch(expand_inputs([str(folder)]), settings, out, "local", progress=False)


def statuses(out: Path, summary: BatchSummary) -> dict[str, str]:
    """This run's status of each input, by file name."""
    return {Path(r["input"]).name: r["status"] for r in Manifest(out).records() if r["run"] == summary.run}


def first_run(folder: Path, settings: BatchSettings, out: Path) -> None:
    summary = run(folder, settings, out)
    assert (summary.done, summary.failed, summary.skipped) == (2, 1, 0)


def test_a_rerun_skips_what_is_done_and_retries_what_failed(
    inputs: Path, settings: BatchSettings, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    first_run(inputs, settings, out)
    again = run(inputs, settings, out)
    assert (again.done, again.failed, again.skipped) == (0, 1, 2)
    assert statuses(out, again) == {PHOTOS[0]: "skipped", PHOTOS[1]: "skipped", "broken.jpg": "failed"}
    shutil.copy(IMAGES / PHOTOS[0], inputs / "broken.jpg")  # mended
    mended = run(inputs, settings, out)
    assert (mended.done, mended.failed, mended.skipped) == (1, 0, 2)
    assert statuses(out, mended)["broken.jpg"] == "done"
    assert (out / "results" / "broken.json").is_file()


@pytest.mark.parametrize(
    "change",
    [
        lambda s: replace(s, video=VideoOptions(AnalysisOptions(det_threshold=0.6))),
        lambda s: replace(s, video=replace(s.video, frame_stride=2)),
        lambda s: replace(s, render=True),
        lambda s: replace(s, models=replace(s.models, precision="f16")),
    ],
    ids=["detection threshold", "frame stride", "render", "precision"],
)
def test_other_settings_redo_everything(
    inputs: Path, settings: BatchSettings, tmp_path: Path, change: Callable[[BatchSettings], BatchSettings]
) -> None:
    out = tmp_path / "out"
    first_run(inputs, settings, out)
    changed = change(settings)
    assert changed.digest() != settings.digest()
    todo, skipped = Manifest(out).plan(
        expand_inputs([str(inputs)]), changed.digest(), model_hashes(settings.models)
    )
    assert (len(todo), skipped) == (3, [])


def test_a_rerun_with_new_settings_is_done_anew(
    inputs: Path, settings: BatchSettings, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    first_run(inputs, settings, out)
    stricter = replace(settings, video=VideoOptions(AnalysisOptions(det_threshold=0.6)))
    again = run(inputs, stricter, out)
    assert (again.done, again.failed, again.skipped) == (2, 1, 0)


def test_other_models_redo_everything(inputs: Path, settings: BatchSettings, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first_run(inputs, settings, out)
    other = replace(settings, models=replace(settings.models, kp_model=OTHER_KEYPOINTS))
    assert model_hashes(other.models) != model_hashes(settings.models)
    assert other.digest() == settings.digest()  # the models are told apart by their hashes alone
    again = run(inputs, other, out)
    assert (again.done, again.failed, again.skipped) == (2, 1, 0)
    latest = Manifest(out).latest()
    assert {tuple(r["models"]) for r in latest.values()} == {(DEFAULT_DETECTOR, OTHER_KEYPOINTS)}


def test_a_changed_file_is_redone(inputs: Path, settings: BatchSettings, tmp_path: Path) -> None:
    """One photo grows (size), one is touched (modification time only), the third is left alone."""
    out = tmp_path / "out"
    shutil.copy(IMAGES / PHOTOS[0], inputs / "third.jpg")
    summary = run(inputs, settings, out)
    assert (summary.done, summary.failed) == (3, 1)
    grown, touched = inputs / PHOTOS[0], inputs / PHOTOS[1]
    grown_stat = grown.stat()
    with grown.open("ab") as f:
        f.write(b"\0" * 16)  # after the JPEG's end: the same picture, a larger file
    os.utime(grown, ns=(grown_stat.st_atime_ns, grown_stat.st_mtime_ns))  # the same time
    mtime = touched.stat().st_mtime_ns
    os.utime(touched, ns=(mtime + 5 * 10**9, mtime + 5 * 10**9))  # the same bytes
    again = run(inputs, settings, out)
    assert statuses(out, again) == {
        PHOTOS[0]: "done",
        PHOTOS[1]: "done",
        "third.jpg": "skipped",
        "broken.jpg": "failed",
    }


def test_a_rewritten_file_is_redone(inputs: Path, settings: BatchSettings, tmp_path: Path) -> None:
    """Another picture written over a photo: its content, size and time change; it is done again."""
    out = tmp_path / "out"
    first_run(inputs, settings, out)
    before = Manifest(out).latest()[str(inputs / PHOTOS[0])]
    shutil.copy(IMAGES / PHOTOS[1], inputs / PHOTOS[0])
    again = run(inputs, settings, out)
    assert statuses(out, again)[PHOTOS[0]] == "done"
    after = Manifest(out).latest()[str(inputs / PHOTOS[0])]
    assert after["sha256"] != before["sha256"] and after["persons"] != before["persons"]


@pytest.mark.parametrize("missing", ["results/{}.json", "table/{}.parquet"])
def test_a_missing_output_is_redone(
    inputs: Path, settings: BatchSettings, tmp_path: Path, missing: str
) -> None:
    out = tmp_path / "out"
    first_run(inputs, settings, out)
    (out / missing.format(Path(PHOTOS[1]).stem)).unlink()
    again = run(inputs, settings, out)
    assert statuses(out, again) == {PHOTOS[0]: "skipped", PHOTOS[1]: "done", "broken.jpg": "failed"}
    assert (out / missing.format(Path(PHOTOS[1]).stem)).is_file()
