"""Batch resume (issue 30, gap 1): a rerun into the same output folder skips an input only when its
latest line in the manifest says "done" with the same settings and models, its file is unchanged (size
and modification time) and its outputs are all there. Everything else is done again: new settings, other
models, a changed file, a missing output, and an input that failed.

Real runs on the local engine (no Ray) with the default models, on two shared photos and a file that is
no picture, copied into a temporary folder.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import asdict, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from pose_demo import AnalysisOptions
from pose_demo.batch import BatchSettings, BatchSummary, Manifest, ModelChoice, expand_inputs, run_batch
from pose_demo.batch.inputs import BatchInput
from pose_demo.batch.manifest import STATUSES, ItemResult
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


# ---------------------------------------------------------------- the manifest itself, line by line


MODELS = {"detector": "d1", "keypoints": "k1"}


def item(folder: Path, name: str = "photo.jpg") -> BatchInput:
    path = folder / name
    path.write_bytes(b"a photo")
    return BatchInput(path, "image", path.stem)


def done(entry: BatchInput, outputs: tuple[str, ...] = (), **fields: Any) -> ItemResult:
    """A "done" result for ``entry`` as it is now, with ``outputs`` (relative to the output folder)."""
    stat = entry.path.stat()
    return ItemResult(
        str(entry.path),
        entry.name,
        entry.kind,
        "done",
        size=stat.st_size,
        mtime_ns=stat.st_mtime_ns,
        models=MODELS,
        outputs=list(outputs),
        **fields,
    )


def test_a_result_has_one_of_three_statuses() -> None:
    with pytest.raises(ValueError, match=r"^status must be one of done, failed, skipped, not 'ok'$"):
        ItemResult("in.jpg", "in", "image", "ok")
    assert [ItemResult("in.jpg", "in", "image", s).status for s in STATUSES] == ["done", "failed", "skipped"]


def test_the_manifest_is_one_json_line_per_result(tmp_path: Path) -> None:
    photo = item(tmp_path)
    out = tmp_path / "out" / "nested"
    manifest = Manifest(out)
    assert manifest.path == out / "manifest.jsonl" and manifest.records() == []
    old_umask = os.umask(0o022)
    try:
        manifest.append(done(photo, ("results/photo.json",), frames=1, persons=2, sha256="ab"), "s1", "r1")
    finally:
        os.umask(old_umask)
    manifest.append(ItemResult("其他.jpg", "其他", "image", "failed", "unreadable"), "s1", "r1")
    assert (out / "manifest.jsonl").stat().st_mode & 0o777 == 0o644
    lines = (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["input"] for line in lines] == [str(photo.path), "其他.jpg"]
    first, second = manifest.records()
    at = datetime.fromisoformat(first.pop("at"))
    assert at.tzinfo == timezone.utc and abs(datetime.now(timezone.utc) - at) < timedelta(minutes=1)
    assert first == {
        **asdict(done(photo, ("results/photo.json",), frames=1, persons=2, sha256="ab")),
        "settings": "s1",
        "run": "r1",
    }
    assert (second["status"], second["message"], second["settings"]) == ("failed", "unreadable", "s1")


def test_a_torn_line_is_skipped_and_the_next_run_writes_on_a_line_of_its_own(tmp_path: Path) -> None:
    """A run killed while writing leaves a torn last line; what the next run writes is still read."""
    manifest = Manifest(tmp_path)
    manifest.path.touch()  # killed before its first line
    manifest.append(ItemResult("a.jpg", "a", "image", "done"), "s", "r1")
    with manifest.path.open("ab") as f:
        f.write(b'{"input": "b.jpg", "status": "do')
    assert [r["input"] for r in manifest.records()] == ["a.jpg"]
    manifest.append(ItemResult("c.jpg", "c", "image", "done"), "s", "r2")
    manifest.append(ItemResult("d.jpg", "d", "image", "failed"), "s", "r2")
    assert [r["input"] for r in manifest.records()] == ["a.jpg", "c.jpg", "d.jpg"]


def test_the_latest_done_or_failed_line_of_an_input_counts(tmp_path: Path) -> None:
    manifest = Manifest(tmp_path)
    for status, run in [("failed", "r1"), ("done", "r2"), ("skipped", "r3")]:
        manifest.append(ItemResult("a.jpg", "a", "image", status), "s", run)
    manifest.append(ItemResult("b.jpg", "b", "image", "skipped"), "s", "r3")
    latest = manifest.latest()
    assert list(latest) == ["a.jpg"] and latest["a.jpg"]["run"] == "r2"
    manifest.append(ItemResult("a.jpg", "a", "image", "failed"), "s", "r4")
    assert manifest.latest()["a.jpg"]["run"] == "r4"  # a later failure hides the done line before it


def test_an_input_is_done_only_as_it_was(tmp_path: Path) -> None:
    """``is_done`` for each way a record can differ from the input as it is now."""
    photo = item(tmp_path)
    out = tmp_path / "out"
    (out / "results").mkdir(parents=True)
    (out / "results" / "photo.json").write_text("{}")
    manifest = Manifest(out)
    manifest.append(done(photo, ("results/photo.json",)), "s1", "r1")
    record = manifest.latest()[str(photo.path)]
    assert manifest.is_done(photo, record, "s1", MODELS)
    assert not manifest.is_done(photo, None, "s1", MODELS)
    assert not manifest.is_done(photo, {**record, "status": "failed"}, "s1", MODELS)
    assert not manifest.is_done(photo, record, "s2", MODELS)
    assert not manifest.is_done(photo, record, "s1", {**MODELS, "keypoints": "k2"})
    assert not manifest.is_done(photo, {**record, "size": record["size"] + 1}, "s1", MODELS)
    assert not manifest.is_done(photo, {**record, "mtime_ns": record["mtime_ns"] + 1}, "s1", MODELS)
    two_outputs = {**record, "outputs": ["results/photo.json", "table/photo.parquet"]}
    assert not manifest.is_done(photo, two_outputs, "s1", MODELS)  # one of two is missing
    without_outputs = {k: v for k, v in record.items() if k != "outputs"}
    assert manifest.is_done(photo, without_outputs, "s1", MODELS)  # nothing to check


def test_the_plan_lists_what_to_do_and_skips_what_is_done(tmp_path: Path) -> None:
    first, second, third = (item(tmp_path, f"{n}.jpg") for n in ("first", "second", "third"))
    manifest = Manifest(tmp_path / "out")
    manifest.append(done(first, frames=1, persons=3, sha256="ab"), "s1", "r1")
    manifest.append(replace(done(second), status="failed"), "s1", "r1")
    todo, skipped = manifest.plan([first, second, third], "s1", MODELS)
    assert todo == [second, third]
    record = manifest.latest()[str(first.path)]
    assert skipped == [
        replace(
            done(first, frames=1, persons=3, sha256="ab"), status="skipped", message=f"done at {record['at']}"
        )
    ]
