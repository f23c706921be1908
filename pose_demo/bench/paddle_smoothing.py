"""PaddleDetection's ``KeypointSmoothing`` defaults, reimplemented as a benchmark baseline only."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from pose_demo.results import Person
from pose_demo.tracking.smoothing import lowpass_alpha


class PaddleKeypointSmoothing:
    """PaddleDetection's ``KeypointSmoothing`` defaults, reimplemented as a benchmark baseline only.

    As in its ``det_keypoint_unite_infer`` video loop: one OneEuro state (fc_d 0.1, fc_min 0.1,
    beta 0.05) with time counted in frames (te = 1), applied only when exactly one person is in the
    frame, with no tracking and no confidence gating; a keypoint that moved less than its threshold
    (0.3 x 0.005 of the image size for the face, 0.3 x 0.01 for the body) keeps its previous value.
    """

    def __init__(
        self,
        image_size: tuple[int, int],
        fc_d: float = 0.1,
        fc_min: float = 0.1,
        beta: float = 0.05,
        thres_mult: float = 0.3,
    ) -> None:
        self.image_size = np.asarray(image_size, dtype=np.float64)
        self.fc_d, self.fc_min, self.beta = fc_d, fc_min, beta
        self.threshold = np.array([0.005] * 5 + [0.01] * 12) * thres_mult
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None

    def apply(self, persons: list[Person], timestamp: float) -> list[Person]:
        """Smoothed persons; ``timestamp`` is ignored (the baseline counts frames)."""
        if len(persons) != 1:
            return persons
        kps = persons[0].keypoints.copy()
        xy = kps[:, :2].astype(np.float64)
        if self._x is None:
            self._x, self._dx = xy.copy(), np.zeros_like(xy)
            return persons
        moved = np.linalg.norm((xy - self._x) / self.image_size, axis=1) >= self.threshold
        a_d = lowpass_alpha(1.0, self.fc_d)
        dx = self._dx + a_d * ((xy - self._x) - self._dx)
        x = self._x + lowpass_alpha(1.0, self.fc_min + self.beta * np.abs(dx)) * (xy - self._x)
        self._dx[moved], self._x[moved] = dx[moved], x[moved]
        kps[:, :2] = self._x
        return [replace(persons[0], keypoints=kps)]
