"""Sizes and text on images: one drawing scale for every line and label, one helper for every label
(box scores, track ids, rule verdicts)."""

from __future__ import annotations

import cv2
import numpy as np

FONT = cv2.FONT_HERSHEY_SIMPLEX
LABEL_BACKGROUND = (30, 30, 30)


def image_scale(image: np.ndarray) -> float:
    """Drawing scale: 1.0 for an image 1000 px on its long side, never below 0.4. Line widths and text
    sizes are multiples of it, so drawings read alike at any image size."""
    return max(max(image.shape[:2]) / 1000.0, 0.4)


def text_thickness(size: float) -> int:
    return max(1, round(2 * size))


def put_label(
    image: np.ndarray,
    text: str,
    x: float,
    y: float,
    color: tuple[int, int, int],
    size: float,
    background: tuple[int, int, int] = LABEL_BACKGROUND,
) -> None:
    """Text in ``color`` with its bottom-left corner near (x, y) on a filled box, kept inside the image."""
    thickness = text_thickness(size)
    (w, h), baseline = cv2.getTextSize(text, FONT, size, thickness)
    pad = max(1, round(3 * size))
    x = int(np.clip(x, pad, max(pad, image.shape[1] - w - pad)))
    y = int(np.clip(y, h + pad, max(h + pad, image.shape[0] - baseline - pad)))
    cv2.rectangle(image, (x - pad, y - h - pad), (x + w + pad, y + baseline + pad), background, -1)
    cv2.putText(image, text, (x, y), FONT, size, color, thickness, cv2.LINE_AA)
