"""Brightening dark images before detection: luminance stretched, lifted, then CLAHE (colours kept)."""

from __future__ import annotations

import cv2
import numpy as np

BRIGHT_PERCENTILE = 99.5  # this luminance percentile is stretched to white
TARGET_MEAN = 0.35  # a darker image is lifted by a gamma curve until its mean luminance is this (0..1)
CLIP_LIMIT = 2.0  # CLAHE contrast limit (OpenCV's usual value)
TILES = 8  # CLAHE grid: TILES x TILES tiles


def enhance_dark(image_bgr: np.ndarray, clip_limit: float = CLIP_LIMIT, tiles: int = TILES) -> np.ndarray:
    """A brightened copy of a BGR uint8 image, for detecting people in low light.

    On the L channel (CIELAB): a stretch that makes the ``BRIGHT_PERCENTILE`` percentile white (an
    under-exposed frame whose brightest pixels are at 8 of 255 gets its range back), a gamma curve
    that lifts a still-dark mean to ``TARGET_MEAN`` (never darkening), then CLAHE for local contrast.
    The a and b channels are untouched, so colours keep their hue. A well-exposed photo changes little.
    """
    lab = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2LAB)
    bright = max(float(np.percentile(lab[..., 0], BRIGHT_PERCENTILE)), 1.0)
    luminance = cv2.convertScaleAbs(lab[..., 0], alpha=255.0 / bright)
    mean = max(float(luminance.mean()) / 255.0, 1e-3)
    gamma = min(1.0, np.log(TARGET_MEAN) / np.log(mean)) if mean < 1.0 else 1.0
    curve = np.round(255.0 * (np.arange(256) / 255.0) ** gamma).astype(np.uint8)
    clahe = cv2.createCLAHE(clipLimit=clip_limit, tileGridSize=(tiles, tiles))
    lab[..., 0] = clahe.apply(cv2.LUT(luminance, curve))
    return cv2.cvtColor(lab, cv2.COLOR_LAB2BGR)
