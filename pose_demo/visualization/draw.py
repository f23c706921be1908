"""Drawing: the COCO-17 skeleton with per-limb colours, boxes and labels, anti-aliased, sized to the image.

Every person's body is drawn first, then every label of the frame, placed so that no two overlap
(``labels.place_labels``): neighbours' labels stay readable."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from pose_demo.i18n import LANGUAGES, translate
from pose_demo.results import MIN_KEYPOINT_SCORE, FrameResult, Person
from pose_demo.skeleton import COCO17, Skeleton
from pose_demo.visualization.labels import Label, draw_labels
from pose_demo.visualization.rule_overlay import angle_labels, draw_arcs, verdict_labels
from pose_demo.visualization.text import image_scale, text_language

LABEL_SIZE = 0.6  # text size of box labels, in drawing-scale units
REPS_SIZE = 1.0  # text size of the repetition counter
BOX_COLOR = (0, 200, 0)


@dataclass(frozen=True)
class DrawOptions:
    """What to draw. ``thickness`` scales the size-derived line width (1.0 = default).

    show_labels: the person score beside the box; show_angles: joint-angle verdicts as arcs at the joints,
    with their values; show_rule_labels: the other verdicts as labels above the head. language: of the
    rule titles, grades and repetition counters ("en" or "zh-CN"; English when Chinese needs a CJK font
    and there is none).
    """

    keypoint_threshold: float = MIN_KEYPOINT_SCORE
    thickness: float = 1.0
    show_boxes: bool = True
    show_labels: bool = True
    show_track_ids: bool = True
    show_angles: bool = True
    show_rule_labels: bool = True
    language: str = "en"

    def __post_init__(self) -> None:
        if self.language not in LANGUAGES:
            raise ValueError(
                f"DrawOptions: no drawing language {self.language!r}: choose one of {', '.join(LANGUAGES)}."
            )


def line_width(image: np.ndarray, factor: float = 1.0) -> int:
    """A line width that reads well at any image size: 4 px at a drawing scale of 1, times ``factor``."""
    return max(1, round(4 * image_scale(image) * factor))


def draw_person(image: np.ndarray, person: Person, options: DrawOptions, skeleton: Skeleton = COCO17) -> None:
    """Draw one person in place on a BGR uint8 image: its body, then its labels."""
    draw_body(image, person, options, skeleton)
    draw_labels(image, person_labels(image, person, options))


def draw_body(image: np.ndarray, person: Person, options: DrawOptions, skeleton: Skeleton = COCO17) -> None:
    """One person's skeleton, box and joint-angle arcs, in place (no labels)."""
    width = line_width(image, options.thickness)
    kps = person.keypoints
    visible = kps[:, 2] >= options.keypoint_threshold
    points = np.round(kps[:, :2] * 16).astype(np.int32)  # 4 fractional bits for sub-pixel lines
    for (a, b), color in zip(skeleton.limbs, skeleton.limb_colors, strict=True):
        if visible[a] and visible[b]:
            cv2.line(image, tuple(points[a]), tuple(points[b]), color, width, cv2.LINE_AA, shift=4)
    radius = max(2, round(width * 1.2))
    for i in np.flatnonzero(visible):
        cv2.circle(
            image, tuple(points[i]), radius * 16, skeleton.keypoint_colors[i], -1, cv2.LINE_AA, shift=4
        )
        cv2.circle(image, tuple(points[i]), radius * 16, (40, 40, 40), 1, cv2.LINE_AA, shift=4)
    box = person.box
    if options.show_boxes:
        cv2.rectangle(
            image,
            (round(box.x1), round(box.y1)),
            (round(box.x2), round(box.y2)),
            BOX_COLOR,
            max(1, width // 2),
        )
    if options.show_angles:
        draw_arcs(image, person, person.rules, image_scale(image))


def person_labels(image: np.ndarray, person: Person, options: DrawOptions) -> list[Label]:
    """One person's labels where each would like to be: track id and score above the box, the repetitions
    under the feet (orange while one is under way), the rule verdicts above the head, joint angles beside
    their arcs."""
    return [label for tier in _tiers(image, person, options) for label in tier]


def _tiers(image: np.ndarray, person: Person, options: DrawOptions) -> tuple[list[Label], ...]:
    """One person's labels in the order they are placed: the box label and the repetition counter, the
    rule verdicts (stacked above the head, kept together), the joint angles (small, each moving on its
    own where a label covers its place)."""
    language = text_language(options.language)
    scale = image_scale(image)
    box = person.box
    fixed = []
    text = _label(person, options)
    if text:
        size = LABEL_SIZE * scale
        fixed.append(Label(text, box.x1, box.y1 - 4 * size, (255, 255, 255), size, background=BOX_COLOR))
    if person.reps is not None:
        reps = person.reps
        size = REPS_SIZE * scale
        background = (0, 140, 255) if reps.moving else (70, 70, 70)
        text = translate("draw.reps", language, exercise=reps.name(language), count=reps.count)
        fixed.append(Label(text, box.x1, box.y2 + 30 * size, (255, 255, 255), size, background=background))
    angles = angle_labels(person, person.rules, scale) if options.show_angles else []
    verdicts = verdict_labels(person, person.rules, scale, language) if options.show_rule_labels else []
    return fixed, verdicts, angles


def _label(person: Person, options: DrawOptions) -> str:
    parts = []
    if options.show_track_ids and person.track_id is not None:
        parts.append(f"#{person.track_id}")
    if options.show_labels:
        parts.append(f"{person.score:.2f}")
    return " ".join(parts)


def draw_result(image_bgr: np.ndarray, result: FrameResult, options: DrawOptions | None = None) -> np.ndarray:
    """A copy of the image with every person drawn."""
    options = options or DrawOptions()
    canvas = image_bgr.copy()
    for person in result.persons:
        draw_body(canvas, person, options)
    draw_labels(canvas, frame_labels(canvas, result, options))
    return canvas


def frame_labels(image: np.ndarray, result: FrameResult, options: DrawOptions) -> list[Label]:
    """Every person's labels, in the order they are placed: the track ids, scores and repetition counters
    of every person first, then the rule verdicts, then the joint angles (see ``_tiers``)."""
    tiers = [_tiers(image, p, options) for p in result.persons]
    return [label for tier in zip(*tiers, strict=True) for labels in tier for label in labels]
