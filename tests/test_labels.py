"""Labels of neighbouring people never overlap: every label of a frame is placed at once, clear of the others
(``visualization.labels``), moved or shortened, and drawn where it was placed."""

from __future__ import annotations

import itertools
from dataclasses import replace

import cv2
import numpy as np
import pytest

from pose_demo import UniModel
from pose_demo.app.settings import DEFAULT_RULES
from pose_demo.geometry import make_keypoints
from pose_demo.results import Box, FrameResult, LiveCount, Person
from pose_demo.rules import RuleSet
from pose_demo.visualization.draw import DrawOptions, draw_result, frame_labels
from pose_demo.visualization.labels import Label, label_rect, overlaps, place_labels
from tests.conftest import IMAGES

WHITE = (255, 255, 255)


def assert_apart(rects: list[tuple[int, int, int, int]]) -> None:
    for a, b in itertools.combinations(rects, 2):
        assert not overlaps(a, b), (a, b)


def standing(dx: float) -> np.ndarray:
    """A person standing, front view, leaning a little, ``dx`` px to the right."""
    named = {
        "nose": (300, 100),
        "left_eye": (306, 95),
        "right_eye": (294, 95),
        "left_ear": (312, 100),
        "right_ear": (288, 100),
        "left_shoulder": (330, 150),
        "right_shoulder": (270, 146),
        "left_elbow": (345, 210),
        "right_elbow": (255, 210),
        "left_wrist": (350, 260),
        "right_wrist": (250, 260),
        "left_hip": (320, 270),
        "right_hip": (280, 268),
        "left_knee": (322, 360),
        "right_knee": (278, 360),
        "left_ankle": (324, 440),
        "right_ankle": (276, 440),
    }
    return make_keypoints({k: (x + dx, y) for k, (x, y) in named.items()})


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return RuleSet.load("default").select(list(DEFAULT_RULES))


def test_three_close_persons_get_labels_apart(rules: RuleSet) -> None:
    """Four people side by side, 40 px apart, each with its track id, repetition counter and verdicts."""
    image = np.zeros((520, 900, 3), np.uint8)
    persons = []
    for k in range(4):
        keypoints = standing(120 + 40 * k)
        person = Person(Box(240 + 40 * k, 80, 370 + 40 * k, 450, 0.9), 0.9, keypoints, track_id=k + 1)
        persons.append(replace(person, rules=rules.evaluate(person), reps=LiveCount("squat", k, k % 2 == 0)))
    result = FrameResult(persons, (image.shape[1], image.shape[0]))
    labels = frame_labels(image, result, DrawOptions())
    assert len(labels) >= 3 * 4  # track ids, counters and some verdicts for each
    wanted = [label_rect(label, (900, 520)) for label in labels]
    assert any(overlaps(a, b) for a, b in itertools.combinations(wanted, 2))  # as asked for, they would
    placed = place_labels(labels, (900, 520))
    assert_apart([rect for _, rect in placed])
    ids = placed[:8:2]  # per person, its box label and counter first, then the verdicts
    assert [label.text for label, _ in ids] == ["#1 0.90", "#2 0.90", "#3 0.90", "#4 0.90"]
    assert [label.text for label, _ in placed[1:8:2]] == [f"squat {k}" for k in range(4)]
    for label, rect in placed:  # each inside the image
        assert rect[0] >= 0 and rect[1] >= 0 and rect[2] <= 900 and rect[3] <= 520, (label.text, rect)
    drawn = draw_result(image, result)
    for label, (x1, y1, x2, _) in ids:  # drawn where placed: the box label's green fills its box
        assert np.all(drawn[y1, x1:x2] == (0, 200, 0)), label.text


def test_a_free_label_stays_where_it_asked_and_a_crowded_one_is_shortened() -> None:
    label = Label("Trunk lean 12 deg (mild)", 100, 100, WHITE, 0.6)
    ((kept, rect),) = place_labels([label], (800, 600))
    assert kept == label and rect == label_rect(label, (800, 600))
    # A tiny picture: no room for two long labels side by side, so the second is cut to its first words.
    size = (int(cv2.getTextSize(label.text, cv2.FONT_HERSHEY_SIMPLEX, 0.6, 1)[0][0] * 1.6), 24)
    first, second = place_labels([label, label], size)
    assert second[0].text.endswith("...") and label.text.startswith(second[0].text[:-3])
    assert_apart([first[1], second[1]])


def test_labels_apart_on_a_real_crowd(accurate_model: UniModel) -> None:
    """The three people walking side by side, with every built-in rule: every label readable."""
    rules = RuleSet.load("default")
    image = cv2.imread(str(IMAGES / "front_ochuman_000817_three_people_walking.jpg"))
    found = accurate_model.predict(image).persons
    persons = [replace(p, track_id=k, rules=rules.evaluate(p)) for k, p in enumerate(found, 1)]
    assert len(persons) == 3
    result = FrameResult(persons, (image.shape[1], image.shape[0]))
    labels = frame_labels(image, result, DrawOptions())
    wanted = [label_rect(label, result.image_size) for label in labels]
    assert sum(overlaps(a, b) for a, b in itertools.combinations(wanted, 2)) >= 5  # as asked for
    placed = place_labels(labels, result.image_size)
    assert len(placed) == len(labels) >= 10
    assert_apart([rect for _, rect in placed])
