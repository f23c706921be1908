"""Drawing: the COCO-17 skeleton with per-limb colours, boxes and labels, anti-aliased, sized to the image."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from pose_demo.results import MIN_KEYPOINT_SCORE, FrameResult, Person
from pose_demo.skeleton import COCO17, Skeleton
from pose_demo.visualization.rule_overlay import draw_verdicts
from pose_demo.visualization.text import image_scale, put_label

LABEL_SIZE = 0.6  # text size of box labels, in drawing-scale units
REPS_SIZE = 1.0  # text size of the repetition counter


@dataclass(frozen=True)
class DrawOptions:
    """What to draw. ``thickness`` scales the size-derived line width (1.0 = default).

    show_labels: the person score beside the box; show_angles: joint-angle verdicts as arcs at the joints;
    show_rule_labels: the other verdicts as labels above the head.
    """

    keypoint_threshold: float = MIN_KEYPOINT_SCORE
    thickness: float = 1.0
    show_boxes: bool = True
    show_labels: bool = True
    show_track_ids: bool = True
    show_angles: bool = True
    show_rule_labels: bool = True


def line_width(image: np.ndarray, factor: float = 1.0) -> int:
    """A line width that reads well at any image size: 4 px at a drawing scale of 1, times ``factor``."""
    return max(1, round(4 * image_scale(image) * factor))


def draw_person(image: np.ndarray, person: Person, options: DrawOptions, skeleton: Skeleton = COCO17) -> None:
    """Draw one person in place on a BGR uint8 image."""
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
    color = (0, 200, 0)
    if options.show_boxes:
        cv2.rectangle(
            image, (round(box.x1), round(box.y1)), (round(box.x2), round(box.y2)), color, max(1, width // 2)
        )
    label = _label(person, options)
    if label:
        size = LABEL_SIZE * image_scale(image)
        put_label(image, label, box.x1, box.y1 - 4 * size, (255, 255, 255), size, background=color)
    if person.reps is not None:  # the repetitions so far, under the feet; orange while one is under way
        reps = person.reps
        size = REPS_SIZE * image_scale(image)
        background = (0, 140, 255) if reps.moving else (70, 70, 70)
        text = f"{reps.exercise.replace('_', ' ')} {reps.count}"
        put_label(image, text, box.x1, box.y2 + 30 * size, (255, 255, 255), size, background=background)
    shown = [
        v for v in person.rules if (options.show_angles if v.joint is not None else options.show_rule_labels)
    ]
    if shown:
        draw_verdicts(image, person, shown)


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
        draw_person(canvas, person, options)
    return canvas
