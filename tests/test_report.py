"""The session report: the squat clip through ``reps --report`` once in English and once in Chinese (the
command line's language), the HTML checked as text (self-contained, the count, a picture per turning point,
the rep table; in Chinese, no English text of the report's catalog) and in headless Chromium (visible count,
pictures loaded; screenshots in test-artifacts/); the plain words of the form checks; nobody doing
repetitions."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, replace
from fractions import Fraction
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pose_demo.exercises import CheckResult, ExerciseCatalog
from pose_demo.i18n import catalog
from pose_demo.report.session import check_line, render_report
from pose_demo.video import VideoRun, probe
from tests.conftest import REPO, VIDEOS

CLIP = "squat_side_view.mp4"
COUNT = 3
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts"
README_JPEG_MAX_BYTES = 300_000


@dataclass
class Report:
    path: Path
    html: str
    reps: dict  # the main person of the reps JSON written beside it


def run_reps(folder: Path, language: str) -> Report:
    """The squat clip at half size through the command line in ``language`` (``POSE_DEMO_LANG``, the
    default of its ``--lang``), with the report and the JSON; the run fails on a character missing from
    the plot's fonts (matplotlib warns of those)."""
    html, reps = folder / "report.html", folder / "reps.json"
    glyphs = ["-W", "error:Glyph:UserWarning"]  # a character the plot's fonts cannot draw fails the run
    command = [
        sys.executable,
        *glyphs,
        "-m",
        "pose_demo.cli",
        "reps",
        str(VIDEOS / CLIP),
        "--exercise",
        "squat",
    ]
    command += ["--scale", "0.5", "--report", str(html), "--json", str(reps)]
    environ = {**os.environ, "POSE_DEMO_LANG": language}
    proc = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600, env=environ)
    assert proc.returncode == 0, proc.stderr
    return Report(html, html.read_text(encoding="utf-8"), json.loads(reps.read_text())["persons"][0])


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    return run_reps(tmp_path_factory.mktemp("report"), "en")


@pytest.fixture(scope="module")
def report_zh(tmp_path_factory: pytest.TempPathFactory) -> Report:
    return run_reps(tmp_path_factory.mktemp("report_zh"), "zh-CN")


class Elements(HTMLParser):
    """Every start tag with its attributes, the text of the rep table's body rows, and every text a reader
    sees (outside the style sheet, with the alt and title attributes)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.rows: list[list[str]] = []
        self.texts: list[str] = []
        self._in_reps = False
        self._in_body = False
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self.texts += [v for k, v in attrs if k in ("alt", "title") and v]
        self._in_style = tag == "style"
        if tag == "table" and "reps" in (dict(attrs).get("class") or ""):
            self._in_reps = True
        elif tag == "tbody" and self._in_reps:
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self.rows.append([])

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._in_reps = self._in_body = False

    def handle_data(self, data: str) -> None:
        if self._in_body and self.rows and data.strip():
            self.rows[-1].append(data.strip())
        if not self._in_style and data.strip():
            self.texts.append(data.strip())


def parse(html: str) -> Elements:
    parser = Elements()
    parser.feed(html)
    return parser


def english_leaks(text: str, prefix: str) -> list[str]:
    """The English words of the catalog texts under ``prefix`` (each text's pieces between its parameters,
    those with a word of 2 letters or more) found in ``text`` as whole words."""
    pieces = {
        piece.strip()
        for key, template in catalog("en").items()
        if key.startswith(prefix)
        for piece in re.split(r"\{\w+\}", template)
    }
    return sorted(
        piece
        for piece in pieces
        if re.search(r"[A-Za-z]{2}", piece) and re.search(rf"(?<!\w){re.escape(piece)}(?!\w)", text)
    )


def test_report_is_self_contained(report: Report) -> None:
    elements = parse(report.html)
    links = [v for _, attrs in elements.tags for k, v in attrs.items() if k in ("src", "href") and v]
    assert links and all(v.startswith("data:") for v in links), [v[:40] for v in links]
    assert not re.search(r"https?://", report.html)  # no CDN, no web font, no remote anything
    assert not any(tag in ("script", "link", "iframe") for tag, _ in elements.tags)


def test_report_shows_count_pictures_and_table(report: Report) -> None:
    elements = parse(report.html)
    assert '<html lang="en">' in report.html
    assert report.reps["count"] == COUNT
    assert re.search(rf'<span class="number">{COUNT}</span>', report.html)
    pictures = [a["src"] for t, a in elements.tags if t == "img" and a["src"].startswith("data:image/jpeg")]
    plots = [a["src"] for t, a in elements.tags if t == "img" and a["src"].startswith("data:image/png")]
    assert len(pictures) == COUNT and len(plots) == 1
    assert [row[0] for row in elements.rows] == [str(i) for i in range(1, COUNT + 1)]
    turns = [f"{r['turn']:.1f}" for r in report.reps["reps"]]
    assert [row[2] for row in elements.rows] == turns  # index, start, turn, ...
    for words in ("Depth (hips at knee height)", "tinypose_128x96", "picodet_s_192_lcnet_pedestrian", CLIP):
        assert words in report.html
    assert report.path.stat().st_size < 400_000


def test_chinese_report(report_zh: Report, report: Report) -> None:
    """Everything a coach reads in Chinese: the same count and table, the catalog's Chinese titles, no
    English text of the report's catalog."""
    elements = parse(report_zh.html)
    assert '<html lang="zh-CN">' in report_zh.html and report_zh.reps["count"] == COUNT
    assert re.search(rf'<span class="number">{COUNT}</span><span class="unit">次</span>', report_zh.html)
    assert [row[:3] for row in elements.rows] == [row[:3] for row in parse(report.html).rows]
    text = "\n".join(elements.texts)
    for words in (
        "训练报告",
        "动作检查",
        "整组表现",
        "逐次数据",
        "随时间变化",
        "设置与模型",
        "深蹲",
        "深度（髋与膝同高）",
    ):
        assert words in text, words
    assert "tinypose_128x96" in text and CLIP in text  # names stay as they are
    assert english_leaks(text, "report.") == []
    assert english_leaks("\n".join(parse(report.html).texts), "report.") != []  # it finds English


@pytest.mark.parametrize(("name", "unit"), [("report", "REPS"), ("report_zh", "次")])
def test_report_in_chromium(name: str, unit: str, request: pytest.FixtureRequest) -> None:
    report: Report = request.getfixturevalue(name)
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 1240})
            page.goto(report.path.as_uri())
            count = page.locator(".person .count .number").first
            assert count.is_visible() and count.inner_text() == str(COUNT)
            assert page.locator(".person .count").first.inner_text().split() == [str(COUNT), unit]
            widths = page.eval_on_selector_all(
                "img", "images => images.map(i => i.complete ? i.naturalWidth : 0)"
            )
            assert len(widths) == COUNT + 1 and min(widths) > 0, widths
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
            page.screenshot(path=str(ARTIFACTS / f"{name}.jpg"), type="jpeg", quality=80)
        finally:
            browser.close()
    assert (ARTIFACTS / f"{name}.jpg").stat().st_size < README_JPEG_MAX_BYTES


# --- plain words and edge cases, without a video run ------------------------------------------------------


def _result(level: str, value: float | None, reason: str = "unseen") -> CheckResult:
    """A check's result; an unknown one for ``reason``."""
    why = reason if level == "unknown" else None
    return CheckResult("depth", {"en": "Depth"}, "turn", value, "body", level, why)


def test_check_line_says_which_reps_missed() -> None:
    depth = ExerciseCatalog.load().get("squat").checks[0]
    line = check_line(depth, [(1, _result("ok", 0.05)), (2, _result("fail", 0.31)), (3, _result("ok", 0.1))])
    assert line.level == "fail"
    assert line.text == "2 of 3 reps were below 0.15 torso lengths; rep 2 missed it (0.31 torso lengths)."
    line = check_line(
        depth, [(1, _result("fail", 0.2)), (2, _result("fail", 0.31)), (3, _result("ok", 0.1))], "zh-CN"
    )
    assert (line.title, line.text) == (
        "深度（髋与膝同高）",
        "3 次中有 1 次低于 0.15 倍躯干长；第 1、2 次未达到（0.20 倍躯干长、0.31 倍躯干长）。",
    )
    line = check_line(depth, [(1, _result("ok", 0.05)), (2, _result("unknown", None))])
    assert line.level == "ok" and line.text.endswith("Not judged in rep 2.")
    valgus = ExerciseCatalog.load().get("squat").checks[2]
    line = check_line(valgus, [(1, _result("unknown", None, "view"))])
    assert line.level == "unknown" and "front view only" in line.text
    assert (
        check_line(valgus, [(1, _result("unknown", None, "view"))], "zh-CN").text
        == "未判定（只在正面视角下判定）。"
    )
    line = check_line(valgus, [(1, _result("unknown", None, "implausible"))])
    assert line.text == (
        "not judged (the joints were placed where a body cannot be, e.g. an elbow folded under 30°)."
    )


def test_nobody_did_reps_and_text_is_escaped(tmp_path: Path) -> None:
    info = probe(VIDEOS / CLIP)
    odd = tmp_path / "<b>clip.mp4"
    run = VideoRun(replace(info, path=str(odd)), (480, 272), Fraction(30), 1)
    html = render_report(run, [])
    assert "Nobody did repetitions" in html and "No person was seen" in html
    assert "<b>clip" not in html and "&lt;b&gt;clip.mp4" in html
    chinese = parse(render_report(run, [], language="zh-CN")).texts
    assert "视频中没有看到人。" in chinese and english_leaks("\n".join(chinese), "report.") == []
