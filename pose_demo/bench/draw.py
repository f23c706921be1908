"""``bench-draw``: what the text on a frame costs. ``draw_result`` is timed on a 1280x720 frame with three
persons carrying rule verdicts and a repetition counter, in each language, and its labels apart. The
persons move a little from frame to frame (arms swinging, knees bending), so the values in the labels
change as in a video and the label cache is not always hit."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from pose_demo.geometry import make_keypoints
from pose_demo.i18n import LANGUAGES
from pose_demo.results import Box, FrameResult, LiveCount, Person
from pose_demo.rules import RuleSet
from pose_demo.visualization.draw import DrawOptions, draw_body, draw_result, frame_labels
from pose_demo.visualization.labels import draw_labels
from pose_demo.visualization.text import text_language

FRAME_SIZE = (1280, 720)
SQUAT_TITLE = {"en": "Squat", "zh": "深蹲"}
# A person standing, front view, 500 px tall, its middle at x = 0 (arm and knee points move per frame).
STANDING = {
    "nose": (0, 150),
    "left_eye": (8, 142),
    "right_eye": (-8, 142),
    "left_ear": (16, 150),
    "right_ear": (-16, 150),
    "left_shoulder": (45, 215),
    "right_shoulder": (-45, 210),
    "left_hip": (30, 380),
    "right_hip": (-30, 378),
    "left_ankle": (34, 640),
    "right_ankle": (-34, 640),
}


def _person(k: int, frame: int, rules: RuleSet) -> Person:
    """Person ``k`` (0, 1, 2 from the left) at ``frame``: arms raised by a swinging angle, knees bent."""
    phase = frame / 15.0 + k
    lift = np.radians(30 + 60 * (1 + np.sin(phase)))  # arm from the body, 30..150 degrees
    bend = 12 * (1 + np.cos(phase))  # knees forward, px
    points = dict(STANDING)
    for side, sign in (("left", 1), ("right", -1)):
        sx, sy = points[f"{side}_shoulder"]
        elbow = (sx + sign * 75 * np.sin(lift), sy + 75 * np.cos(lift))
        points[f"{side}_elbow"] = elbow
        points[f"{side}_wrist"] = (
            elbow[0] + sign * 65 * np.sin(lift * 1.2),
            elbow[1] + 65 * np.cos(lift * 1.2),
        )
        points[f"{side}_knee"] = (points[f"{side}_hip"][0] + sign * bend, 510)
    x0 = 240 + 400 * k
    keypoints = make_keypoints({name: (x + x0, y) for name, (x, y) in points.items()}, score=0.9)
    box = Box(x0 - 170, 120, x0 + 170, 660, 0.9)
    person = Person(box, 0.8 + 0.01 * (frame % 20), keypoints, track_id=k + 1)
    reps = LiveCount("squat", frame // 30, frame % 30 < 15, title=SQUAT_TITLE)
    return replace(person, rules=rules.evaluate(person), reps=reps)


def bench_draw(frames: int = 300, warmup: int = 30, rule_ids: Sequence[str] | None = None) -> dict[str, Any]:
    """Median ms per frame, per language, over ``frames`` frames after ``warmup`` ones: ``draw_ms``, all of
    ``draw_result``; ``labels_ms``, its labels (track ids and scores, counters, joint angles, verdicts:
    laid out and drawn); ``bare_ms``, ``draw_result`` without any label. ``rule_ids``: the rules evaluated
    (None: every built-in one)."""
    rules = RuleSet.load("default")
    rules = rules if rule_ids is None else rules.select(list(rule_ids))
    image = np.full((FRAME_SIZE[1], FRAME_SIZE[0], 3), 90, np.uint8)
    results = [
        FrameResult([_person(k, i, rules) for k in range(3)], FRAME_SIZE) for i in range(warmup + frames)
    ]
    no_labels = DrawOptions(
        show_labels=False, show_track_ids=False, show_angles=False, show_rule_labels=False
    )
    bare = [replace(r, persons=[replace(p, reps=None) for p in r.persons]) for r in results]
    report: dict[str, Any] = {
        "frame": f"{FRAME_SIZE[0]}x{FRAME_SIZE[1]}",
        "persons": 3,
        "rules": len(rules.rules),
        "frames": frames,
        "labels_per_frame": len(frame_labels(image, results[0], DrawOptions())),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "languages": {},
    }
    for language in LANGUAGES:
        options = DrawOptions(language=language)
        times: dict[str, list[float]] = {"draw": [], "labels": [], "bare": []}
        for i in range(warmup + frames):  # interleaved, so that machine noise hits all alike
            start = time.perf_counter()
            draw_result(image, results[i], options)
            middle = time.perf_counter()
            draw_result(image, bare[i], no_labels)
            end = time.perf_counter()
            canvas = image.copy()
            for person in results[i].persons:
                draw_body(canvas, person, options)
            start_labels = time.perf_counter()
            draw_labels(canvas, frame_labels(canvas, results[i], options))
            end_labels = time.perf_counter()
            if i >= warmup:
                times["draw"].append((middle - start) * 1000)
                times["bare"].append((end - middle) * 1000)
                times["labels"].append((end_labels - start_labels) * 1000)
        report["languages"][language] = {
            "drawn_in": text_language(language),
            **{f"{name}_ms": round(statistics.median(ms), 3) for name, ms in times.items()},
        }
    return report
