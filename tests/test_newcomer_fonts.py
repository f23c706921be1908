"""Issue 26, item 1: without a Chinese font every drawing falls back to English labels (one log line), and a
font installed while running is used without a restart."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from pose_demo import AnalysisOptions, UniModel, VideoOptions
from pose_demo.cli import main
from pose_demo.compare import (
    analyse_clip,
    angle_figure,
    compare_motions,
    compare_photos,
    side_by_side_picture,
)
from pose_demo.compare.render import write_side_by_side
from pose_demo.i18n import fonts
from pose_demo.visualization import text
from pose_demo.visualization.plot_fonts import plot_language
from pose_demo.visualization.text import text_language
from tests.conftest import IMAGES, REPO, VIDEOS

STANDING = IMAGES / "side_frame_squat_f0030_standing.jpg"
DEEP_SQUAT = IMAGES / "side_frame_squat_f0257_deep_squat.jpg"
SHORT_CLIP = VIDEOS / "mmpose_demo_street_5frames.mp4"
REAL_KNOWN_FONTS = fonts.KNOWN_FONTS
REAL_FONTCONFIG = fonts._fontconfig_match


def _forget() -> None:
    fonts.forget_fonts()
    text._warned.clear()


@pytest.fixture
def no_cjk_font(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No POSE_DEMO_FONT, fontconfig answers nothing, no well-known path exists."""
    monkeypatch.delenv(fonts.FONT_VARIABLE, raising=False)
    monkeypatch.setattr(fonts, "_fontconfig_match", lambda: None)
    monkeypatch.setattr(fonts, "KNOWN_FONTS", ())
    _forget()
    yield
    monkeypatch.undo()
    _forget()


def _font_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "Chinese characters" in r.getMessage()]


def test_compare_picture_and_plot_fall_back_to_english(
    fast_model: UniModel, no_cjk_font: None, caplog: pytest.LogCaptureFixture
) -> None:
    comparison = compare_photos(fast_model, STANDING, DEEP_SQUAT)
    with caplog.at_level(logging.WARNING):
        chinese = side_by_side_picture(comparison, language="zh-CN")
        figure = angle_figure(comparison, language="zh-CN")
        side_by_side_picture(comparison, language="zh-CN")
    assert np.array_equal(chinese, side_by_side_picture(comparison, language="en"))
    (ax,) = figure.axes
    assert ax.get_xlabel() == angle_figure(comparison, language="en").axes[0].get_xlabel()
    assert ax.get_xlabel().isascii() and ax.get_ylabel().isascii()
    warnings = _font_warnings(caplog)
    assert len(warnings) == 1 and "fonts-noto-cjk" in warnings[0], warnings


def test_compare_video_falls_back_to_english(fast_model: UniModel, no_cjk_font: None) -> None:
    options = VideoOptions(AnalysisOptions(focus="largest"), output_scale=0.5)
    clip = analyse_clip(fast_model, SHORT_CLIP, "reference", options)
    comparison = compare_motions(clip, analyse_clip(fast_model, SHORT_CLIP, "athlete", options))
    times = write_side_by_side(comparison, None, language="zh-CN")  # drawn, not encoded: no error
    assert times.draw > 0


def test_cli_compare_in_chinese_without_a_font(tmp_path: Path) -> None:
    """``--lang zh-CN compare`` with no Chinese font: exit 0, English labels, one line saying what to do."""
    empty = tmp_path / "fonts.conf"
    empty.write_text('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig/>\n')
    env = {**os.environ, "POSE_DEMO_FONT": str(tmp_path / "nowhere.ttc"), "FONTCONFIG_FILE": str(empty)}
    out, plot = tmp_path / "zh.jpg", tmp_path / "zh.png"
    args = ["compare", str(STANDING), str(DEEP_SQUAT), "--out", str(out), "--plot", str(plot)]
    run = subprocess.run(
        [sys.executable, "-m", "pose_demo.cli", "--lang", "zh-CN", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    hints = [line for line in run.stderr.splitlines() if "fonts-noto-cjk" in line]
    assert len(hints) == 1, run.stderr
    assert out.stat().st_size > 10_000 and plot.read_bytes().startswith(b"\x89PNG")
    english = tmp_path / "en.jpg"
    assert main(["--lang", "en", *args[:3], "--out", str(english)]) == 0
    assert out.read_bytes() == english.read_bytes()  # the same English labels


def test_a_font_installed_while_running_is_used(
    no_cjk_font: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = REAL_FONTCONFIG() or next((Path(p) for p in REAL_KNOWN_FONTS if Path(p).is_file()), None)
    if source is None:
        pytest.skip("no CJK font on this machine to install")
    later = tmp_path / "later.ttc"
    monkeypatch.setattr(fonts, "KNOWN_FONTS", (str(later),))
    monkeypatch.setattr(fonts, "RETRY_S", 0.0)
    assert text_language("zh-CN") == "en" and plot_language("zh-CN") == "en"
    shutil.copy(source, later)  # "apt-get install" while the app runs
    assert text_language("zh-CN") == "zh-CN" and plot_language("zh-CN") == "zh-CN"
    later.unlink()  # and removed again
    assert text_language("zh-CN") == "en"


def test_none_is_remembered_only_briefly(no_cjk_font: None, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[int] = []
    monkeypatch.setattr(fonts, "_fontconfig_match", lambda: asked.append(1))
    for _ in range(5):
        assert fonts.cjk_font_path({}) is None
    assert len(asked) == 1  # not fc-match at every frame drawn
    monkeypatch.setattr(fonts, "RETRY_S", 0.0)
    assert fonts.cjk_font_path({}) is None and len(asked) == 2
