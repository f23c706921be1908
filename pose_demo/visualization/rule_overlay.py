"""Rule verdicts drawn on the body: labels stacked above the head, small arcs at measured joints."""

from __future__ import annotations

import cv2
import numpy as np

from pose_demo.results import MIN_KEYPOINT_SCORE, Person
from pose_demo.rules import Verdict
from pose_demo.rules.geometry import body_scale, point
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
    text = verdict.title["en"]
    if verdict.value is not None and verdict.unit:
        text += f" {verdict.value:.0f} deg" if verdict.unit == "deg" else f" {verdict.value:.2f}"
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
    rules that are triggered, get a label above the head (coloured by level). Unknown verdicts and
    untriggered rules are not drawn. ``scale`` defaults to ``image_scale(image)``.
    """
    scale = image_scale(image) if scale is None else scale
    known = [v for v in verdicts if v.level != "unknown" and v.value is not None]
    for v in known:
        if v.joint is not None:
            _draw_arc(image, person, v, scale)
    labels = [v for v in known if v.joint is None and (v.kind == "measurement" or v.triggered)]
    if not labels:
        return
    size = 0.6 * scale
    texts = [label_text(v) for v in labels]
    widths = [cv2.getTextSize(t, FONT, size, text_thickness(size))[0][0] for t in texts]
    line = cv2.getTextSize("Ag", FONT, size, text_thickness(size))[0][1] + round(10 * size)
    x, y = label_anchor(person)
    torso = float(body_scale(person.keypoints))
    gap = 0.35 * torso if np.isfinite(torso) else line
    top = y - gap - line * len(texts)
    if top >= 0:  # centred above the head
        lefts = [x - w / 2 for w in widths]
    else:  # no room above: beside the head, going down
        top, lefts = y - line, [x + gap] * len(texts)
    for i, (text, left, verdict) in enumerate(zip(texts, lefts, labels, strict=True)):
        put_label(image, text, left, top + (i + 1) * line, LEVEL_COLORS[verdict.level], size)
