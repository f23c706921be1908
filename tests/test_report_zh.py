"""The Compare and Teach reports in Chinese: the comparison of two photos in words and through the command
line, the training summary and picture of a classifier with Chinese class names (no missing glyph, no
English text of the report's catalog), and the picture's English fallback without a CJK font. The session
report's Chinese tests are in test_report.py (they share its run of the squat clip)."""

from __future__ import annotations

import io
import warnings
from dataclasses import replace

import pytest

from pose_demo import AnalysisOptions, UniModel, VideoOptions
from pose_demo.cli import main
from pose_demo.compare import compare_photos
from pose_demo.compare.compare import summary_lines
from pose_demo.compare.report import pace_words
from pose_demo.learn.examples import LabelRange, examples_from_video
from pose_demo.learn.report import report_figure, summary_text
from pose_demo.learn.train import TrainReport, train
from pose_demo.visualization.plot_fonts import cjk_family
from tests.conftest import IMAGES, VIDEOS
from tests.test_report import english_leaks

STANDING = IMAGES / "side_frame_squat_f0030_standing.jpg"
DEEP_SQUAT = IMAGES / "side_frame_squat_f0257_deep_squat.jpg"
SQUAT_BOTTOMS = (2.6, 5.6, 8.4)  # seconds, squat_side_view.mp4


def test_compare_in_chinese(
    fast_model: UniModel, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    c = compare_photos(fast_model, STANDING, DEEP_SQUAT)
    knee = next(d for d in c.differences if d.joint.endswith("knee"))
    side = {"left": "左", "right": "右"}[knee.joint.split("_")[0]]
    assert knee.words("zh-CN") == f"{side}膝比参考动作多弯曲 {abs(knee.difference_deg):.0f}°"
    lines = summary_lines(c, "zh-CN")
    assert lines[0] == f"相似度：{c.score:.1f} / 100" and f"- {knee.words('zh-CN')}" in lines
    assert english_leaks("\n".join(lines), "report.compare.") == []
    in_clip = replace(knee, photo=False)  # a clip's difference says when
    assert in_clip.words("zh-CN") == (
        f"第 {knee.athlete_time:.1f} 秒（参考动作的第 {knee.reference_time:.1f} 秒），{knee.words('zh-CN')}"
    )
    assert [pace_words(p, "zh-CN") for p in ("same pace", "slower", "faster")] == ["节奏相同", "较慢", "较快"]
    assert summary_lines(c) == [f"score: {c.score:.1f} / 100", *(f"- {d.text}" for d in c.differences)]

    monkeypatch.setenv("POSE_DEMO_LANG", "zh-CN")  # the command line's language
    assert main(["compare", str(STANDING), str(DEEP_SQUAT)]) == 0
    assert capsys.readouterr().out.splitlines() == lines


@pytest.fixture(scope="module")
def report(fast_model: UniModel) -> TrainReport:
    """A classifier of the squat clip's bottoms and standing moments, the classes named in Chinese."""
    moments = [(t, "深蹲") for t in SQUAT_BOTTOMS] + [(t, "站立") for t in (1.0, 4.1, 7.0)]
    ranges = [LabelRange(t - 0.3, t + 0.3, label) for t, label in moments]
    options = VideoOptions(AnalysisOptions(), frame_stride=2, output_scale=0.5)
    _, report = train(examples_from_video(fast_model, VIDEOS / "squat_side_view.mp4", ranges, options))
    return report


def _png(report: TrainReport, language: str) -> bytes:
    """The report picture, failing on any character its fonts cannot draw (matplotlib warns of those)."""
    buffer = io.BytesIO()
    figure = report_figure(report, language)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="Glyph .* missing")
        figure.savefig(buffer, format="png")
    return buffer.getvalue()


def test_learn_report_in_chinese(report: TrainReport) -> None:
    assert report.cross_validation is not None and set(report.counts) == {"深蹲", "站立"}
    text = summary_text(report, "zh-CN")
    assert text.startswith("**样本**：") and "**交叉验证**：" in text and "准确率：" in text
    assert "**最主要依据的特征**：" in text
    ours = "\n".join(
        line for line in text.splitlines() if not line.startswith("**警告**")
    )  # not the trainer's
    assert english_leaks(ours, "report.learn.") == []
    figure = report_figure(report, "zh-CN")
    left, right = figure.axes
    if cjk_family() is None:
        pytest.skip("no CJK font: the picture is in English (test_learn_picture_without_cjk_font)")
    assert (left.get_xlabel(), left.get_ylabel(), right.get_title()) == ("预测", "实际", "最主要依据的特征")
    assert _png(report, "zh-CN").startswith(b"\x89PNG")  # class names and labels drawn, none missing


def test_learn_picture_without_cjk_font(report: TrainReport, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSE_DEMO_FONT", "/nonexistent/font.ttc")  # no CJK font: English labels
    left, right = report_figure(report, "zh-CN").axes
    assert (left.get_xlabel(), right.get_title()) == ("predicted", "What it looks at most")
