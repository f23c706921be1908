"""Rule verdicts drawn on the body: labels stacked above the head (placed clear of other labels by
``labels.place_labels``), small arcs at measured joints."""

from __future__ import annotations

import cv2
import numpy as np

from pose_demo.results import MIN_KEYPOINT_SCORE, Person
from pose_demo.rules import Verdict
from pose_demo.rules.geometry import body_scale, point
from pose_demo.visualization.labels import Label, draw_labels, label_height
from pose_demo.visualization.text import FONT, image_scale, put_label, text_thickness

LEVEL_COLORS = {
    "ok": (80, 200, 80),
    "mild": (0, 170, 255),
    "severe": (50, 50, 235),
    "unknown": (160, 160, 160),
}


def label_anchor(person: Person, min_score: float = MIN_KEYPOINT_SCORE) -> tuple[float, float]:
    """Where the labels go: the head, else the neck, else the more confident shoulder, else the box top."""
    kps = person.keypoints
    shoulder = max((point(kps, n) for n in ("left_shoulder", "right_shoulder")), key=lambda p: p[2])
    for p in (point(kps, "head"), point(kps, "neck"), shoulder):
        if p[2] >= min_score:
            return float(p[0]), float(p[1])
    return (person.box.x1 + person.box.x2) / 2, person.box.y1


def label_text(verdict: Verdict) -> str:
    """The rule's title, its value (degrees rounded to whole ones, never "-0") and its grade when graded."""
    text = verdict.title["en"]
    if verdict.value is not None and verdict.unit:
        text += f" {round(verdict.value)} deg" if verdict.unit == "deg" else f" {verdict.value:.2f}"
    return text + (f" ({verdict.level})" if verdict.level in ("mild", "severe") else "")


def _draw_arc(image: np.ndarray, person: Person, verdict: Verdict, scale: float) -> None:
    """An arc spanning the joint angle at its vertex, with the value in degrees beside it."""
    a, vertex, c = (person.keypoints[i, :2].astype(np.float64) for i in verdict.joint)
    reach = min(np.linalg.norm(a - vertex), np.linalg.norm(c - vertex))
    radius = max(4.0 * scale, min(0.3 * reach, 40.0 * scale))
    start = np.degrees(np.arctan2(a[1] - vertex[1], a[0] - vertex[0]))
    sweep = (np.degrees(np.arctan2(c[1] - vertex[1], c[0] - vertex[0])) - start) % 360
    if sweep > 180:  # go the inner way round, from c to a
        start, sweep = start + sweep, 360 - sweep
    color = LEVEL_COLORS[verdict.level]
    center = (round(vertex[0]), round(vertex[1]))
    cv2.ellipse(
        image,
        center,
        (round(radius),) * 2,
        0,
        start,
        start + sweep,
        color,
        text_thickness(scale),
        cv2.LINE_AA,
    )
    middle = np.radians(start + sweep / 2)
    x, y = vertex + (radius + 6 * scale) * np.array([np.cos(middle), np.sin(middle)])
    put_label(image, f"{verdict.value:.0f}", x, y, color, 0.45 * scale)


def draw_verdicts(
    image: np.ndarray, person: Person, verdicts: list[Verdict], scale: float | None = None
) -> None:
    """Draw one person's verdicts on a BGR uint8 image, in place.

    Joint-angle measurements get an arc at the joint; other measurements, and screening or action
    rules that are triggered, get a label above the head (coloured by level, see ``verdict_labels``).
    Unknown verdicts and untriggered rules are not drawn. ``scale`` defaults to ``image_scale(image)``.
    """
    scale = image_scale(image) if scale is None else scale
    draw_arcs(image, person, verdicts, scale)
    draw_labels(image, verdict_labels(person, verdicts, scale))


def _known(verdicts: list[Verdict]) -> list[Verdict]:
    return [v for v in verdicts if v.level != "unknown" and v.value is not None]


def draw_arcs(image: np.ndarray, person: Person, verdicts: list[Verdict], scale: float) -> None:
    """The arcs of the known joint-angle verdicts, in place."""
    for v in _known(verdicts):
        if v.joint is not None:
            _draw_arc(image, person, v, scale)


def verdict_labels(person: Person, verdicts: list[Verdict], scale: float) -> list[Label]:
    """The labels of the known measurements and triggered rules other than joint angles, where each would
    like to be: stacked, centred above the head, or beside the head going down when there is no room above
    (placed among other persons' labels by ``labels.place_labels``)."""
    labels = [v for v in _known(verdicts) if v.joint is None and (v.kind == "measurement" or v.triggered)]
    if not labels:
        return []
    size = 0.6 * scale
    texts = [label_text(v) for v in labels]
    widths = [cv2.getTextSize(t, FONT, size, text_thickness(size))[0][0] for t in texts]
    line = label_height(size)  # stacked, touching
    x, y = label_anchor(person)
    torso = float(body_scale(person.keypoints))
    gap = 0.35 * torso if np.isfinite(torso) else line
    top = y - gap - line * len(texts)
    if top >= 0:  # centred above the head
        lefts = [x - w / 2 for w in widths]
    else:  # no room above: beside the head, going down
        top, lefts = y - line, [x + gap] * len(texts)
    return [
        Label(text, left, top + (i + 1) * line, LEVEL_COLORS[verdict.level], size)
        for i, (text, left, verdict) in enumerate(zip(texts, lefts, labels, strict=True))
    ]
