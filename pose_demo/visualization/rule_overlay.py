"""Rule verdicts drawn on the body: labels stacked above the head, small arcs at measured joints with
their values beside them (the labels placed clear of other labels by ``labels.place_labels``)."""

from __future__ import annotations

import math
from typing import NamedTuple

import cv2
import numpy as np

from pose_demo.geometry import body_scale, point
from pose_demo.i18n import title_in, translate
from pose_demo.results import MIN_KEYPOINT_SCORE, Person, Verdict
from pose_demo.visualization.labels import Label, draw_labels, label_height
from pose_demo.visualization.text import image_scale, text_language, text_size, text_thickness

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


def label_text(verdict: Verdict, language: str = "en") -> str:
    """The rule's title in ``language``, its value (degrees rounded to whole ones, never "-0") and its
    grade when graded."""
    text = title_in(verdict.title, language)
    if verdict.value is not None and verdict.unit:
        text += f" {_degrees(verdict.value)}" if verdict.unit == "deg" else f" {verdict.value:.2f}"
    if verdict.level in ("mild", "severe"):
        text = translate(
            "draw.graded", language, text=text, level=translate(f"draw.level.{verdict.level}", language)
        )
    return text


def _degrees(value: float) -> str:
    return f"{round(value)}\N{DEGREE SIGN}"


class Arc(NamedTuple):
    """Where a joint angle is drawn: an arc around ``center`` from ``start`` through ``sweep`` degrees, its
    value's label at ``value_at`` (bottom-left corner)."""

    center: tuple[int, int]
    radius: int
    start: float
    sweep: float
    value_at: tuple[float, float]


def _arc(person: Person, verdict: Verdict, scale: float) -> Arc:
    """The arc spanning a joint angle at its vertex, the inner way round, and its value just outside it."""
    (ax, ay), (vx, vy), (cx, cy) = (person.keypoints[i, :2].tolist() for i in verdict.joint)
    reach = min(math.hypot(ax - vx, ay - vy), math.hypot(cx - vx, cy - vy))
    radius = max(4.0 * scale, min(0.3 * reach, 40.0 * scale))
    start = math.degrees(math.atan2(ay - vy, ax - vx))
    sweep = (math.degrees(math.atan2(cy - vy, cx - vx)) - start) % 360
    if sweep > 180:  # go the inner way round, from c to a
        start, sweep = start + sweep, 360 - sweep
    middle, away = math.radians(start + sweep / 2), radius + 6 * scale
    value_at = (vx + away * math.cos(middle), vy + away * math.sin(middle))
    return Arc((round(vx), round(vy)), round(radius), start, sweep, value_at)


def draw_verdicts(
    image: np.ndarray,
    person: Person,
    verdicts: list[Verdict],
    scale: float | None = None,
    language: str = "en",
) -> None:
    """Draw one person's verdicts on a BGR uint8 image, in place.

    Joint-angle measurements get an arc at the joint, their value beside it; other measurements, and
    screening or action rules that are triggered, get a label above the head (coloured by level, see
    ``verdict_labels``). Unknown verdicts and untriggered rules are not drawn. ``scale`` defaults to
    ``image_scale(image)``; labels are in ``language`` (see ``verdict_labels``).
    """
    scale = image_scale(image) if scale is None else scale
    draw_arcs(image, person, verdicts, scale)
    draw_labels(
        image, verdict_labels(person, verdicts, scale, language) + angle_labels(person, verdicts, scale)
    )


def _known(verdicts: list[Verdict]) -> list[Verdict]:
    return [v for v in verdicts if v.level != "unknown" and v.value is not None]


def _joint_angles(verdicts: list[Verdict]) -> list[Verdict]:
    return [v for v in _known(verdicts) if v.joint is not None]


def draw_arcs(image: np.ndarray, person: Person, verdicts: list[Verdict], scale: float) -> None:
    """The arcs of the known joint-angle verdicts, in place (their values are ``angle_labels``)."""
    for v in _joint_angles(verdicts):
        arc = _arc(person, v, scale)
        end = arc.start + arc.sweep
        color = LEVEL_COLORS[v.level]
        radii = (arc.radius, arc.radius)
        cv2.ellipse(image, arc.center, radii, 0, arc.start, end, color, text_thickness(scale), cv2.LINE_AA)


def angle_labels(person: Person, verdicts: list[Verdict], scale: float) -> list[Label]:
    """The values of the known joint-angle verdicts in degrees, each just outside its arc."""
    return [
        Label(_degrees(v.value), *_arc(person, v, scale).value_at, LEVEL_COLORS[v.level], 0.45 * scale)
        for v in _joint_angles(verdicts)
    ]


def verdict_labels(
    person: Person, verdicts: list[Verdict], scale: float, language: str = "en"
) -> list[Label]:
    """The labels of the known measurements and triggered rules other than joint angles, in ``language``
    (English when it needs a CJK font and there is none, see ``text_language``), where each would like to
    be: stacked, centred above the head, or beside the head going down when there is no room above (placed
    among other persons' labels by ``labels.place_labels``)."""
    labels = [v for v in _known(verdicts) if v.joint is None and (v.kind == "measurement" or v.triggered)]
    if not labels:
        return []
    size = 0.6 * scale
    texts = [label_text(v, text_language(language)) for v in labels]
    widths = [text_size(t, size)[0] for t in texts]
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
