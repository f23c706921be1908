"""The app over its life: the files it keeps (bounded, removed at shutdown and after dead runs), what it
logs for user errors and for bugs, and how it describes itself (``--help``, a warning when exposed)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

import demo_app
from pose_demo.app.core import user_errors
from pose_demo.app.outputs import OutputFolders, remove_stale_roots
from pose_demo.image_input import ImageInputError
from tests.conftest import DATA_DIR, REPO
from tests.test_app import WALKERS, running_app


def make_folder(root: Path, name: str, size: int, age_s: float) -> Path:
    """A folder holding one file of ``size`` bytes, both last modified ``age_s`` seconds ago."""
    folder = root / name
    folder.mkdir()
    (folder / "file.bin").write_bytes(b"x" * size)
    stamp = time.time() - age_s
    os.utime(folder / "file.bin", (stamp, stamp))
    os.utime(folder, (stamp, stamp))
    return folder


def dead_pid() -> int:
    """The id of a process that has ended."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_output_folders_are_bounded_by_age_and_total_size(tmp_path: Path) -> None:
    folders = OutputFolders(tmp_path, max_age_s=3600, max_bytes=1500, min_age_s=60)
    make_folder(tmp_path, "expired", 10, age_s=7200)
    make_folder(tmp_path, "oldest", 600, age_s=600)
    make_folder(tmp_path, "older", 600, age_s=300)
    make_folder(tmp_path, "recent", 500, age_s=0)
    writing = make_folder(tmp_path, "writing", 10, age_s=7200)  # an old folder whose file is being written
    os.utime(writing / "file.bin")
    newest = folders.new()
    # The expired folder goes first; then the oldest ones until the rest fits in 1500 bytes.
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["older", "recent", "writing", newest.name])


def test_output_folders_never_remove_a_folder_just_used(tmp_path: Path) -> None:
    """Gradio may still be copying from a folder made a moment ago: over the size cap, it is kept."""
    folders = OutputFolders(tmp_path, max_bytes=100, min_age_s=60)
    make_folder(tmp_path, "big", 1000, age_s=10)
    folders.new()
    assert (tmp_path / "big").is_dir()


def test_output_folders_removed_on_close_and_after_dead_runs(tmp_path: Path) -> None:
    dead = make_folder(tmp_path, f"pose-demo-{dead_pid()}-abc", 10, age_s=0)
    alive = make_folder(tmp_path, f"pose-demo-{os.getppid()}-abc", 10, age_s=0)
    mine_before = make_folder(tmp_path, f"pose-demo-{os.getpid()}-old", 10, age_s=0)  # a past run, same pid
    legacy_old = make_folder(tmp_path, "pose-demo-k2j3h4", 10, age_s=7200)  # named before pids were
    legacy_recent = make_folder(tmp_path, "pose-demo-a1b2c3", 10, age_s=0)
    other = make_folder(tmp_path, "pose-demo", 10, age_s=7200)
    folders = OutputFolders(temp_dir=tmp_path)
    assert folders.root.name.startswith(f"pose-demo-{os.getpid()}-")
    assert not dead.exists() and not mine_before.exists() and not legacy_old.exists()
    assert alive.exists() and legacy_recent.exists() and other.exists()
    assert remove_stale_roots(tmp_path) == []  # a live run's root is kept
    (folders.new() / "result.jpg").write_bytes(b"x")
    folders.close()
    assert not folders.root.exists()
    folders.close()  # twice is fine (atexit calls it again)


def test_a_user_error_is_one_log_line_and_a_bug_keeps_its_traceback(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="pose_demo.app.core")
    with pytest.raises(Exception) as error, user_errors("image", "en"):
        raise ImageInputError("error.image.empty")
    assert error.value.print_exception is False  # Gradio prints no traceback for it either
    [record] = caplog.records
    assert record.levelno == logging.INFO and record.exc_info is None
    assert "image" in record.getMessage() and "0 bytes" in record.getMessage()
    caplog.clear()
    with pytest.raises(Exception) as error, user_errors("image", "zh-CN"):
        raise RuntimeError("a bug")
    assert error.value.message == "分析图像时出错了；请重试，或换一个文件。"  # in the user's language
    [record] = caplog.records
    assert record.levelno == logging.ERROR and record.exc_info is not None


def test_live_app_logs_user_errors_in_one_line_and_leaves_no_files_after_sigterm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real ``python demo_app.py``: stale folders of a dead run removed at start; 3 bad requests logged
    in one line each, no traceback; after SIGTERM no output folder and no cached result or upload left."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))  # the app's system temp folder
    stale = make_folder(temp, f"pose-demo-{dead_pid()}-stale", 1000, age_s=0)
    live = make_folder(temp, f"pose-demo-{os.getpid()}-live", 1000, age_s=0)
    text = tmp_path / "notes.jpg"
    text.write_bytes(b"just some text")
    photo = tmp_path / "my_photo.jpg"  # not named like the example it is a copy of
    photo.write_bytes(WALKERS.read_bytes())
    with running_app(tmp_path) as url:
        [root] = [p for p in temp.glob("pose-demo-*") if p not in (stale, live)]
        assert not stale.exists() and live.exists()
        client = Client(url, verbose=False)
        annotated, _ = client.predict(handle_file(str(photo)), api_name="/predict_image")
        assert Path(annotated).is_file() and any(root.rglob("*.jpg"))
        bad_requests = [
            ({"image": handle_file(str(text))}, "/predict_image"),
            ({"image": handle_file(str(WALKERS)), "det_threshold": 5}, "/predict_image"),
            ({"video": handle_file(str(text))}, "/predict_video"),
        ]
        for inputs, api_name in bad_requests:
            with pytest.raises(AppError):
                client.predict(**inputs, api_name=api_name)
        time.sleep(1)  # the log lines are written after the answers
        log = (tmp_path / "app.log").read_text()
    # running_app has sent SIGTERM and waited for the app to exit.
    assert "Traceback" not in log, log
    assert len([line for line in log.splitlines() if "User error while" in line]) == 3, log
    assert not root.exists()
    assert live.exists()
    # Gradio's cache keeps only its copies of the examples (used again at the next start).
    left = {p.name for p in (tmp_path / "gradio").rglob("*") if p.is_file()}
    assert left <= {p.name for p in DATA_DIR.rglob("*")}, left


def test_help_is_plain_text_and_says_an_open_host_has_no_authentication() -> None:
    done = subprocess.run(
        [sys.executable, "demo_app.py", "--help"], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert "``" not in done.stdout
    assert "0.0.0.0" in done.stdout and "no authentication" in " ".join(done.stdout.split())


@pytest.mark.parametrize(
    ("argv", "warned"),
    [([], False), (["--host", "127.0.0.1"], False), (["--host", "0.0.0.0"], True), (["--share"], True)],
)
def test_one_warning_when_the_app_is_exposed(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, argv: list[str], warned: bool
) -> None:
    monkeypatch.delenv("GRADIO_SERVER_NAME", raising=False)
    monkeypatch.setattr(demo_app, "create_studio", lambda **options: None)
    monkeypatch.setattr(demo_app, "serve", lambda *args: None)
    demo_app.main(argv)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == warned
    if warned:
        assert "no authentication" in warnings[0].getMessage()


def test_missing_models_are_all_named_in_a_few_lines_without_traceback(tmp_path: Path) -> None:
    """No models found and none downloadable (no network here): the app says, for both default models,
    where they were looked for and where to get them, and exits, with no traceback."""
    env = {**os.environ, "POSE_DEMO_MODEL_DIR": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "demo_app.py", "--port", "1"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith("The app cannot start: its models are missing.")
    for name in ("picodet_s_192_lcnet_pedestrian", "tinypose_128x96"):
        assert f"Model '{name}' is not available locally" in proc.stderr
    assert "POSE_DEMO_MODEL_DIR=<folder>" in proc.stderr and "https://" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.splitlines()) < 20
