"""Top-down crop geometry (pure functions): box -> centre/scale -> affine warp and its inverse."""

from __future__ import annotations

import numpy as np

BOX_EXPANSION = 1.25  # PaddleDetection's (and most top-down models') context margin


def boxes_to_center_scale(
    boxes_xyxy: np.ndarray, aspect: float, expansion: float = BOX_EXPANSION
) -> tuple[np.ndarray, np.ndarray]:
    """(N, 4) boxes -> centres (N, 2) and crop sizes (N, 2) in pixels.

    The box is widened or heightened to the model's aspect (width / height), then expanded.
    The crop is not clipped to the image: the warp pads outside with zeros.
    """
    boxes = np.asarray(boxes_xyxy, np.float64).reshape(-1, 4)
    centers = (boxes[:, :2] + boxes[:, 2:]) / 2
    w = boxes[:, 2] - boxes[:, 0]
    h = boxes[:, 3] - boxes[:, 1]
    w, h = np.where(w > aspect * h, w, h * aspect), np.where(w > aspect * h, w / aspect, h)
    return centers, np.stack([w, h], axis=1) * expansion


def crop_transforms(centers: np.ndarray, scales: np.ndarray, out_size: tuple[int, int]) -> np.ndarray:
    """(N, 2, 3) affine matrices mapping image pixels to an ``out_size`` (w, h) crop.

    The crop's centre is the box centre; one uniform scale (the crop keeps the model aspect).
    """
    out_w, out_h = out_size
    s = out_w / scales[:, 0]
    m = np.zeros((len(centers), 2, 3))
    m[:, 0, 0] = m[:, 1, 1] = s
    m[:, 0, 2] = out_w / 2 - s * centers[:, 0]
    m[:, 1, 2] = out_h / 2 - s * centers[:, 1]
    return m


def apply_inverse(points: np.ndarray, transforms: np.ndarray) -> np.ndarray:
    """Map (N, K, 2) crop-space points back to image pixels through (N, 2, 3) uniform-scale maps."""
    s = transforms[:, 0, 0][:, None, None]
    t = transforms[:, :, 2][:, None, :]
    return (points - t) / s
