"""Heatmap decoding: arg-max, then DARK (distribution-aware Taylor refinement) to sub-pixel.

Vectorised over all persons and joints; follows PaddleDetection's HRNetPostProcess with
``use_dark`` (3x3 Gaussian blur with zero border, log, second-order Taylor step).
"""

from __future__ import annotations

import cv2
import numpy as np

_KERNEL = cv2.getGaussianKernel(3, 0).ravel()  # sigma 0.8, as cv2.GaussianBlur((3, 3), 0)


def _blur(heatmaps: np.ndarray) -> np.ndarray:
    """3x3 Gaussian blur of (..., H, W) maps with a zero border, rescaled to keep each map's max."""
    a, b, c = _KERNEL
    p = np.pad(heatmaps, [(0, 0)] * (heatmaps.ndim - 2) + [(1, 1), (1, 1)])
    rows = a * p[..., :-2, :] + b * p[..., 1:-1, :] + c * p[..., 2:, :]
    out = a * rows[..., :-2] + b * rows[..., 1:-1] + c * rows[..., 2:]
    peak = heatmaps.max(axis=(-2, -1), keepdims=True)
    return out * (peak / np.maximum(out.max(axis=(-2, -1), keepdims=True), 1e-12))


def decode_heatmaps(heatmaps: np.ndarray, dark: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(N, K, H, W) heatmaps -> coordinates (N, K, 2) in heatmap pixels and peak values (N, K)."""
    n, k, h, w = heatmaps.shape
    flat = heatmaps.reshape(n, k, -1)
    idx = flat.argmax(axis=-1)
    maxvals = np.take_along_axis(flat, idx[..., None], axis=-1)[..., 0]
    px, py = idx % w, idx // w
    coords = np.stack([px, py], axis=-1).astype(np.float64)
    if not dark:
        return coords, maxvals
    hm = np.log(np.maximum(_blur(heatmaps.astype(np.float64)), 1e-10))
    inside = (px > 1) & (px < w - 2) & (py > 1) & (py < h - 2)
    x, y = np.clip(px, 2, w - 3), np.clip(py, 2, h - 3)
    ni, ki = np.indices((n, k))

    def at(dy: int, dx: int) -> np.ndarray:
        return hm[ni, ki, y + dy, x + dx]

    center = at(0, 0)
    dx = 0.5 * (at(0, 1) - at(0, -1))
    dy = 0.5 * (at(1, 0) - at(-1, 0))
    dxx = 0.25 * (at(0, 2) - 2 * center + at(0, -2))
    dyy = 0.25 * (at(2, 0) - 2 * center + at(-2, 0))
    dxy = 0.25 * (at(1, 1) - at(-1, 1) - at(1, -1) + at(-1, -1))
    det = dxx * dyy - dxy**2
    ok = inside & (det != 0)
    safe = np.where(ok, det, 1.0)
    offset_x = -(dyy * dx - dxy * dy) / safe
    offset_y = -(-dxy * dx + dxx * dy) / safe
    coords[..., 0] += np.where(ok, offset_x, 0.0)
    coords[..., 1] += np.where(ok, offset_y, 0.0)
    return coords, maxvals
