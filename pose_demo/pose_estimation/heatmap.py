"""Heatmap decoding: arg-max, then DARK (distribution-aware Taylor refinement) to sub-pixel.

Follows PaddleDetection's HRNetPostProcess with ``use_dark``: 3x3 Gaussian blur with a zero
border, log, one second-order Taylor step at the peak. Only the 7x7 neighbourhood of each peak
is blurred (that is all the step reads; the blur's rescaling to the original peak is a constant
in log space and cancels in the derivatives), vectorised over all persons and joints.
"""

from __future__ import annotations

import cv2
import numpy as np

_KERNEL = cv2.getGaussianKernel(3, 0).ravel()  # sigma 0.8, as cv2.GaussianBlur((3, 3), 0)
_OFFSETS = np.arange(-3, 4)


def _blur_valid(patches: np.ndarray) -> np.ndarray:
    """Separable 3x3 Gaussian of (..., 7, 7) patches -> their (..., 5, 5) interior."""
    a, b, c = _KERNEL
    rows = a * patches[..., :-2, :] + b * patches[..., 1:-1, :] + c * patches[..., 2:, :]
    return a * rows[..., :-2] + b * rows[..., 1:-1] + c * rows[..., 2:]


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
    padded = np.pad(heatmaps.astype(np.float64), ((0, 0), (0, 0), (3, 3), (3, 3)))
    ni, ki = np.indices((n, k))
    rows = (py[..., None] + 3 + _OFFSETS)[..., :, None]  # (N, K, 7, 1)
    cols = (px[..., None] + 3 + _OFFSETS)[..., None, :]  # (N, K, 1, 7)
    patch = padded[ni[..., None, None], ki[..., None, None], rows, cols]
    hm = np.log(np.maximum(_blur_valid(patch), 1e-10))  # (N, K, 5, 5), peak at [2, 2]
    c = hm[..., 2, 2]
    dx = 0.5 * (hm[..., 2, 3] - hm[..., 2, 1])
    dy = 0.5 * (hm[..., 3, 2] - hm[..., 1, 2])
    dxx = 0.25 * (hm[..., 2, 4] - 2 * c + hm[..., 2, 0])
    dyy = 0.25 * (hm[..., 4, 2] - 2 * c + hm[..., 0, 2])
    dxy = 0.25 * (hm[..., 3, 3] - hm[..., 1, 3] - hm[..., 3, 1] + hm[..., 1, 1])
    det = dxx * dyy - dxy**2
    ok = (px > 1) & (px < w - 2) & (py > 1) & (py < h - 2) & (det != 0)
    safe = np.where(ok, det, 1.0)
    coords[..., 0] -= np.where(ok, (dyy * dx - dxy * dy) / safe, 0.0)
    coords[..., 1] -= np.where(ok, (dxx * dy - dxy * dx) / safe, 0.0)
    return coords, maxvals
