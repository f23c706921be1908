"""Top-down crop geometry (pure functions): box -> centre/scale -> affine warp and its inverse.

A crop may be turned: ``angles`` (degrees, one per box) turn the image clockwise about the box centre
before it is cropped, so that a body lying along the box stands upright in the crop (90: a body whose head
is on the left). The box's extent in the turned frame sets the crop size; 0 is the plain crop.
"""

from __future__ import annotations

import numpy as np

BOX_EXPANSION = 1.25  # PaddleDetection's (and most top-down models') context margin


def _cos_sin(angles: np.ndarray | None, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Cosines and sines of ``angles`` (degrees; None: all 0)."""
    theta = np.zeros(n) if angles is None else np.radians(np.asarray(angles, np.float64).reshape(n))
    return np.cos(theta), np.sin(theta)


def boxes_to_center_scale(
    boxes_xyxy: np.ndarray,
    aspect: float,
    expansion: float = BOX_EXPANSION,
    angles: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(N, 4) boxes -> centres (N, 2) and crop sizes (N, 2) in pixels, in the frame turned by ``angles``.

    The box (its extent, once turned) is widened or heightened to the model's aspect (width / height),
    then expanded. The crop is not clipped to the image: the warp pads outside with zeros.
    """
    boxes = np.asarray(boxes_xyxy, np.float64).reshape(-1, 4)
    centers = (boxes[:, :2] + boxes[:, 2:]) / 2
    box_w = boxes[:, 2] - boxes[:, 0]
    box_h = boxes[:, 3] - boxes[:, 1]
    cos, sin = np.abs(_cos_sin(angles, len(boxes)))
    w, h = box_w * cos + box_h * sin, box_w * sin + box_h * cos
    w, h = np.where(w > aspect * h, w, h * aspect), np.where(w > aspect * h, w / aspect, h)
    return centers, np.stack([w, h], axis=1) * expansion


def crop_transforms(
    centers: np.ndarray, scales: np.ndarray, out_size: tuple[int, int], angles: np.ndarray | None = None
) -> np.ndarray:
    """(N, 2, 3) affine matrices mapping image pixels to an ``out_size`` (w, h) crop.

    The crop's centre is the box centre; the image is turned clockwise by ``angles`` (degrees) about it,
    with one uniform scale (the crop keeps the model aspect).
    """
    out_w, out_h = out_size
    s = out_w / scales[:, 0]
    cos, sin = s * _cos_sin(angles, len(centers))
    m = np.zeros((len(centers), 2, 3))
    m[:, 0, 0], m[:, 0, 1] = cos, -sin
    m[:, 1, 0], m[:, 1, 1] = sin, cos
    m[:, :, 2] = np.array([out_w / 2, out_h / 2]) - np.einsum("nij,nj->ni", m[:, :, :2], centers)
    return m


def apply_inverse(points: np.ndarray, transforms: np.ndarray) -> np.ndarray:
    """Map (N, K, 2) crop-space points back to image pixels through (N, 2, 3) affine maps."""
    inverse = np.linalg.inv(transforms[:, :, :2])
    return np.einsum("nij,nkj->nki", inverse, points - transforms[:, None, :, 2])
