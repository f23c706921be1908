"""Keeping only the main person of a frame: the largest one, or the one nearest the image centre."""

from __future__ import annotations

import numpy as np

from pose_demo.checks import check_choice
from pose_demo.i18n import Message
from pose_demo.results import Person

FOCUS_MODES = ("everyone", "largest", "central")


def focus_persons(persons: list[Person], image_size: tuple[int, int], mode: str) -> list[Person]:
    """The persons to keep under ``mode``: everyone, or a list holding only the main person.

    ``largest`` keeps the person with the largest box; ``central`` the one whose box centre is nearest
    the image centre, distances measured in image widths and heights so that both axes count alike.
    """
    check_choice(Message("error.option.name.focus"), mode, FOCUS_MODES)
    if mode == "everyone" or not persons:
        return list(persons)
    boxes = np.array([p.box.as_xyxy() for p in persons], dtype=np.float64)
    return [persons[main_index(boxes, image_size, mode)]]


def main_index(boxes_xyxy: np.ndarray, image_size: tuple[int, int], mode: str) -> int:
    """Which of the (N >= 1, 4) boxes is the main person's: the ``largest`` (any other mode) or the most
    ``central`` one (see ``focus_persons``)."""
    boxes = np.asarray(boxes_xyxy, dtype=np.float64)
    if mode != "central":
        return int(np.argmax(np.prod(np.clip(boxes[:, 2:] - boxes[:, :2], 0.0, None), axis=1)))
    size = np.asarray(image_size, dtype=np.float64)
    offsets = ((boxes[:, :2] + boxes[:, 2:]) / 2 - size / 2) / size
    return int(np.argmin(np.hypot(offsets[:, 0], offsets[:, 1])))


def person_at(persons: list[Person], x: float, y: float) -> int | None:
    """The index of the person shown at (``x``, ``y``) in pixels (where a user clicked): of the boxes that
    hold the point, the smallest (the person in front); None when no box holds it."""
    holding = [
        ((x2 - x1) * (y2 - y1), k)
        for k, (x1, y1, x2, y2) in enumerate(p.box.as_xyxy() for p in persons)
        if x1 <= x <= x2 and y1 <= y <= y2
    ]
    return min(holding)[1] if holding else None
