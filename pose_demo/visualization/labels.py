"""Labels that stay readable among neighbours: every label of a frame (track ids and scores, repetition
counters, rule verdicts) is placed at once, greedily, where it does not cover a label placed before it.

Each label says where it would like to be; ``place_labels`` keeps that place when it is free, else takes
the nearest free one among shifts by whole label heights and half label widths (up and down first, so
that a stack of labels stays a stack), inside the image. When no place is free (a crowd filling the
picture), the label is shortened to its first words, down to a quarter of its text, where that frees a
place; only then does it overlap, at its own place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from pose_demo.visualization.text import (
    LABEL_BACKGROUND,
    label_pad,
    label_patch,
    paste,
    text_origin,
    text_size,
)

Rect = tuple[int, int, int, int]  # x1, y1, x2, y2: the pixels a label's box fills, x2 and y2 excluded
MAX_SHIFT = 6  # candidate places: up to this many label heights up or down, and half widths sideways


@dataclass(frozen=True)
class Label:
    """A text wanted with its bottom-left corner near (x, y), on a filled box (see ``text.put_label``)."""

    text: str
    x: float
    y: float
    color: tuple[int, int, int]
    size: float
    background: tuple[int, int, int] = LABEL_BACKGROUND


def _metrics(label: Label) -> tuple[int, int, int, int]:
    """Text width, height, baseline and padding of a label's box, in pixels."""
    return *text_size(label.text, label.size), label_pad(label.size)


def _rect_at(x: float, y: float, metrics: tuple[int, int, int, int], image_size: tuple[int, int]) -> Rect:
    w, h, baseline, pad = metrics
    x, y = text_origin(x, y, metrics, image_size)
    return x - pad, y - h - pad, x + w + pad + 1, y + baseline + pad + 1


def label_rect(label: Label, image_size: tuple[int, int]) -> Rect:
    """The box ``put_label`` fills for ``label`` in an image of ``image_size`` (width, height): where the
    label asks for, kept inside the image."""
    return _rect_at(label.x, label.y, _metrics(label), image_size)


def label_height(size: float) -> int:
    """The height of a label's box at text ``size``: labels stacked this far apart just touch."""
    _, h, baseline = text_size("", size)
    return h + baseline + 2 * label_pad(size) + 1


def overlaps(a: Rect, b: Rect) -> bool:
    """Whether two boxes share a pixel."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


# Shifts in (half widths, heights), nearest first, up before down, then sideways.
_SHIFTS = sorted(
    ((dx, dy) for dy in range(-MAX_SHIFT, MAX_SHIFT + 1) for dx in range(-MAX_SHIFT, MAX_SHIFT + 1)),
    key=lambda s: (abs(s[0]) * 2 + abs(s[1]), abs(s[0]), s[1] > 0, s[0] > 0),
)


def _free_place(label: Label, placed: list[Rect], image_size: tuple[int, int]) -> tuple[Label, Rect] | None:
    """The label at the nearest place (see ``_SHIFTS``) where it covers none of ``placed``."""
    metrics = _metrics(label)
    width, height = metrics[0] + 2 * metrics[3] + 1, metrics[1] + metrics[2] + 2 * metrics[3] + 1
    for dx, dy in _SHIFTS:
        x, y = label.x + dx * width / 2, label.y + dy * height
        rect = _rect_at(x, y, metrics, image_size)
        if not any(overlaps(rect, other) for other in placed):
            return (label if dx == dy == 0 else replace(label, x=x, y=y)), rect
    return None


def _shortened(text: str) -> list[str]:
    """The text cut to its first words, longest first, down to about a quarter of it, ending in "..."."""
    words = text.split()
    cuts = [" ".join(words[:n]) + "..." for n in range(len(words) - 1, 0, -1)]
    return [c for c in cuts if len(c) >= len(text) / 4]


def place_labels(labels: Sequence[Label], image_size: tuple[int, int]) -> list[tuple[Label, Rect]]:
    """Each label as placed (moved, or shortened) and its box, in the order given (earlier labels keep
    their places first). Boxes never overlap unless a label finds no free place even shortened."""
    placed: list[Rect] = []
    out = []
    for label in labels:
        found = _free_place(label, placed, image_size)
        for text in _shortened(label.text) if found is None else []:
            found = _free_place(replace(label, text=text), placed, image_size)
            if found is not None:
                break
        if found is None:
            found = label, label_rect(label, image_size)
        placed.append(found[1])
        out.append(found)
    return out


def draw_labels(image: np.ndarray, labels: Sequence[Label]) -> list[Rect]:
    """Place the labels (see ``place_labels``) and draw them on a BGR uint8 image, in place; their boxes."""
    placed = place_labels(labels, (image.shape[1], image.shape[0]))
    for label, rect in placed:
        paste(image, label_patch(label.text, label.size, label.color, label.background), *rect[:2])
    return [rect for _, rect in placed]
