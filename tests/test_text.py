"""Text on images in the user's language: Chinese rule titles drawn with a CJK font (real glyph strokes,
not the missing-glyph box), English when no CJK font is found (said once), layout kept."""

from __future__ import annotations

import itertools
import logging
import shutil
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from pose_demo import AnalysisOptions, UniModel, analyse_image
from pose_demo.bench.draw import bench_draw
from pose_demo.exercises.schema import load_catalog
from pose_demo.geometry import make_keypoints
from pose_demo.results import Box, FrameResult, LiveCount, Person
from pose_demo.rules import RuleSet
from pose_demo.visualization.draw import DrawOptions, draw_result, frame_labels
from pose_demo.visualization.labels import Label, overlaps, place_labels
from pose_demo.visualization.text import (
    LATIN_FONT,
    MISSING,
    cjk_font,
    font_pixels,
    label_pad,
    text_language,
    text_size,
)
from tests.conftest import IMAGES

SQUAT = IMAGES / "side_frame_squat_f0257_deep_squat.jpg"
CROWD = IMAGES / "front_ochuman_000817_three_people_walking.jpg"


def chinese(text: str) -> bool:
    return any(ord(c) >= 0x2E80 for c in text)


def ink(crop: np.ndarray, label: Label) -> np.ndarray:
    """Where a drawn label's text is: pixels nearer the text colour than the box colour."""
    to_text = np.abs(crop.astype(int) - label.color).sum(axis=-1)
    to_box = np.abs(crop.astype(int) - label.background).sum(axis=-1)
    return to_text < to_box


def rendered(text: str, font: Path, label: Label) -> np.ndarray:
    """``text`` in ``font`` at the label's size, straight from Pillow: where its ink is."""
    _, ascent, descent = text_size("", label.size)
    face = ImageFont.truetype(str(font), font_pixels(label.size), layout_engine=ImageFont.Layout.BASIC)
    canvas = Image.new("L", (int(face.getlength(text)) + 8, ascent + descent))
    ImageDraw.Draw(canvas).text((0, ascent), text, fill=255, font=face, anchor="ls")
    return np.asarray(canvas) > 127


def likeness(a: np.ndarray, b: np.ndarray) -> float:
    """The best overlap (intersection over union) of two ink masks shifted by up to 3 px."""
    h, w = max(a.shape[0], b.shape[0]) + 6, max(a.shape[1], b.shape[1]) + 6
    big = np.zeros((h, w), bool)
    big[3 : 3 + a.shape[0], 3 : 3 + a.shape[1]] = a
    best = 0.0
    for dy, dx in itertools.product(range(7), range(7)):
        moved = np.zeros((h, w), bool)
        moved[dy : dy + b.shape[0], dx : dx + b.shape[1]] = b[: h - dy, : w - dx]
        best = max(best, (big & moved).sum() / max(1, (big | moved).sum()))
    return best


@pytest.fixture(scope="module")
def squat(accurate_model: UniModel) -> tuple[np.ndarray, FrameResult]:
    """The deep squat, analysed with every built-in rule, counting squats as the app does."""
    image = cv2.imread(str(SQUAT))
    result = analyse_image(accurate_model, image, AnalysisOptions(rules=RuleSet.load("default")))
    title = load_catalog().get("squat").title
    persons = [replace(p, track_id=1, reps=LiveCount("squat", 3, False, title=title)) for p in result.persons]
    return image, replace(result, persons=persons)


def test_chinese_labels_are_drawn_with_cjk_glyphs(squat: tuple[np.ndarray, FrameResult]) -> None:
    font = cjk_font()
    assert font is not None, "this test needs a CJK font (apt-get install fonts-wqy-microhei)"
    image, result = squat
    options = DrawOptions(language="zh-CN")
    drawn = draw_result(image, result, options)
    placed = place_labels(frame_labels(image, result, options), result.image_size)
    texts = [label.text for label, _ in placed]
    assert "深蹲到位 10°" in texts and "深蹲 3 次" in texts, texts  # the rule's title and the counter
    for label, (x1, y1, x2, y2) in placed:
        if not chinese(label.text):
            continue
        pad = label_pad(label.size)
        strokes = ink(drawn[y1 + pad : y2 - pad - 1, x1 + pad : x2 - pad - 1], label)
        assert strokes.mean() > 0.08, label.text  # not blank
        glyphs = rendered(label.text, font, label)
        tofu = rendered("".join(MISSING if chinese(c) else c for c in label.text), font, label)
        assert likeness(strokes, glyphs) > 0.9, label.text  # the glyphs themselves
        assert likeness(strokes, tofu) < 0.6, label.text  # not the missing-glyph box


def test_without_a_cjk_font_chinese_falls_back_to_english_with_one_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """POSE_DEMO_FONT names a font without Chinese characters (DejaVu Sans): English labels, one warning."""
    latin = tmp_path / "latin-only.ttf"
    shutil.copy(LATIN_FONT, latin)
    monkeypatch.setenv("POSE_DEMO_FONT", str(latin))
    image, result = standing_trio()
    with caplog.at_level(logging.WARNING, logger="pose_demo.visualization.text"):
        drawn = [draw_result(image, result, DrawOptions(language="zh-CN")) for _ in range(3)]
    warnings = [r.getMessage() for r in caplog.records if r.name == "pose_demo.visualization.text"]
    assert len(warnings) == 1, warnings
    assert "fonts-noto-cjk" in warnings[0] and str(latin) in warnings[0]
    assert text_language("zh-CN") == "en"
    english = draw_result(image, result, DrawOptions(language="en"))
    assert all(np.array_equal(d, english) for d in drawn)
    texts = [label.text for label in frame_labels(image, result, DrawOptions(language="zh-CN"))]
    assert "squat 2" in texts and not any(chinese(t) for t in texts), texts


def standing_trio() -> tuple[np.ndarray, FrameResult]:
    """Three people standing side by side, shoulders tilted, counting squats (no model needed)."""
    rules = RuleSet.load("default").select(["shoulder_tilt", "left_elbow_angle", "trunk_lean"])
    persons = []
    for k in range(3):
        x = 150 + 200 * k
        points = {
            "nose": (x, 100), "left_eye": (x + 6, 95), "right_eye": (x - 6, 95),
            "left_shoulder": (x + 30, 150), "right_shoulder": (x - 30, 140),
            "left_elbow": (x + 45, 210), "left_wrist": (x + 30, 260),
            "left_hip": (x + 20, 270), "right_hip": (x - 20, 268),
        }  # fmt: skip
        person = Person(Box(x - 60, 70, x + 60, 300, 0.9), 0.9, make_keypoints(points, 0.9), track_id=k + 1)
        persons.append(replace(person, rules=rules.evaluate(person), reps=LiveCount("squat", 2, k == 1)))
    return np.full((360, 640, 3), 120, np.uint8), FrameResult(persons, (640, 360))


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_labels_of_a_crowd_are_apart_and_drawn(accurate_model: UniModel, language: str) -> None:
    """Three people walking, every built-in rule: each label in its own place, its text drawn in it."""
    image = cv2.imread(str(CROWD))
    result = analyse_image(accurate_model, image, AnalysisOptions(rules=RuleSet.load("default")))
    result = replace(result, persons=[replace(p, track_id=k) for k, p in enumerate(result.persons, 1)])
    options = DrawOptions(language=language)
    placed = place_labels(frame_labels(image, result, options), result.image_size)
    assert len(placed) >= 10
    for (_, a), (_, b) in itertools.combinations(placed, 2):
        assert not overlaps(a, b), (a, b)
    assert any(chinese(label.text) for label, _ in placed) == (language == "zh-CN")
    drawn = draw_result(image, result, options)
    for label, (x1, y1, x2, y2) in placed:
        crop = drawn[y1:y2, x1:x2]
        assert np.all(crop[0] == label.background), label.text  # the box, filled
        assert ink(crop, label).sum() >= 4 * len(label.text), label.text  # and its text in it


def test_a_degree_value_is_drawn_with_its_sign() -> None:
    with_sign, without = text_size("92°", 1.0), text_size("92", 1.0)
    assert with_sign[1:] == without[1:] and with_sign[0] > without[0] + 5  # the same line, a wider text


def test_an_unknown_drawing_language_is_refused() -> None:
    with pytest.raises(ValueError, match=r"'fr'.*en, zh-CN"):
        DrawOptions(language="fr")


def test_the_drawing_benchmark_times_labels_in_both_languages() -> None:
    report = bench_draw(frames=5, warmup=1, rule_ids=["trunk_lean", "left_knee_angle"])
    assert report["persons"] == 3 and report["labels_per_frame"] >= 3 * 3  # box, counter, knee angle
    for language, figures in report["languages"].items():
        assert figures["drawn_in"] == language
        assert 0 < figures["labels_ms"] < figures["draw_ms"] and figures["bare_ms"] > 0
