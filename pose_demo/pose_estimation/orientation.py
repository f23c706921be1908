"""Crops turned so that a lying body stands upright (pure functions).

Top-down keypoint models are trained on standing people in portrait crops: a push-up, a plank or a sit-up
fills a thin band of such a crop, and the model puts elbows on the back. A box at least ``min_aspect`` times
as wide as it is high is also tried turned a quarter turn each way (``QUARTER_TURNS``), the body then lying
along the crop's height; of a box's crops the one whose joints score highest on average is kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

QUARTER_TURNS = (90.0, -90.0)  # degrees, clockwise: head on the left, head on the right


@dataclass(frozen=True)
class TurnOptions:
    """Which boxes are also tried turned: those at least ``min_aspect`` times as wide as high."""

    min_aspect: float = 1.0

    def __post_init__(self) -> None:
        if not self.min_aspect > 0:
            raise ValueError(f"min_aspect must be positive, not {self.min_aspect}")


def turn_candidates(boxes_xyxy: np.ndarray, options: TurnOptions) -> tuple[np.ndarray, np.ndarray]:
    """The crops to try for (N, 4) boxes: for each, the box it is of (M,) and its angle (M,) in degrees.

    Every box is tried as it is (angle 0, first, in box order), the wide ones also turned each way.
    """
    boxes = np.asarray(boxes_xyxy, np.float64).reshape(-1, 4)
    wide = np.flatnonzero(boxes[:, 2] - boxes[:, 0] >= options.min_aspect * (boxes[:, 3] - boxes[:, 1]))
    turned = np.repeat(wide, len(QUARTER_TURNS))
    index = np.concatenate([np.arange(len(boxes)), turned])
    angles = np.concatenate([np.zeros(len(boxes)), np.tile(QUARTER_TURNS, len(wide))])
    return index, angles


def most_confident(index: np.ndarray, keypoints: np.ndarray) -> np.ndarray:
    """For each box, in box order, which of its crops (indices into ``index``) scored highest on average
    over its (M, K, 3) ``keypoints``; the first of equals (the crop as it is)."""
    mean = keypoints[:, :, 2].mean(axis=1)
    order = np.lexsort((np.arange(len(index)), -mean, index))  # by box, then best first
    first = np.ones(len(order), dtype=bool)
    first[1:] = index[order][1:] != index[order][:-1]
    return order[first]
